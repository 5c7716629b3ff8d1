// Sites with enterprise profiles and inspectors for the risk, inspection and public-page tests.
import type { TestGateway } from './gateway.js';

export const EMB = 'Emergency Management Bureau';
export const EEB = 'Ecology and Environment Bureau';
export const HUD = 'Housing and Urban-Rural Development Bureau';

const dev = (id: string) => ({ id, kind: 'sensor', secret: `${id}-secret` });

export const supervisionRegistry = {
  sites: [
    { id: 'chem-a', name: '甲化工有限公司', sector: 'hazardous_chemicals', creditGrade: 'A', departments: [EMB], devices: [dev('chem-a-gas')] },
    { id: 'chem-key', name: '重点危化储罐区', sector: 'hazardous_chemicals', creditGrade: 'B', keySupervision: true, departments: [EMB], devices: [dev('chem-key-gas')] },
    { id: 'chem-d', name: '丁化工有限公司', sector: 'hazardous_chemicals', creditGrade: 'D', departments: [EMB], devices: [dev('chem-d-gas')] },
    { id: 'cn-1', name: '城东建筑工地', sector: 'construction', creditGrade: 'C', keySupervision: true, departments: [EEB, HUD], devices: [dev('cn-1-dust')] },
  ],
};

export const DEVICE_SECRETS = supervisionRegistry.sites.flatMap((s) => s.devices.map((d) => d.secret));
export const DEVICE_IDS = supervisionRegistry.sites.flatMap((s) => s.devices.map((d) => d.id));

/** Creates inspectors through POST /api/users; returns name -> token. */
export async function createInspectors(gw: TestGateway, spec: Record<string, { departments: string[]; conflicts?: string[]; displayName?: string }>): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [name, s] of Object.entries(spec)) {
    const res = await gw.post('/api/users', { name, role: 'inspector', ...s });
    if (res.status !== 201) throw new Error(`creating inspector ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    tokens[name] = res.body.token;
  }
  return tokens;
}
