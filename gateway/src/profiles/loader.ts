import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { profileSchema, type Profile } from './schema.js';

export interface ProfileProblem {
  file: string;
  reason: string;
}

export class ProfileSetError extends Error {
  constructor(readonly problems: ProfileProblem[]) {
    super(`payload profiles are invalid:\n  - ${problems.map((p) => `${p.file}: ${p.reason}`).join('\n  - ')}`);
    this.name = 'ProfileSetError';
  }
}

/** Every `*.yaml` / `*.yml` in `dir`, one profile each; all problems at once, naming file and reason. */
export function loadProfiles(dir: string): Map<string, Profile> {
  const out = new Map<string, Profile>();
  if (!existsSync(dir)) return out;
  const problems: ProfileProblem[] = [];
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const origin = new Map<string, string>();
  for (const file of files) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      problems.push({ file, reason: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    const p = profileSchema.safeParse(raw);
    if (!p.success) {
      for (const i of p.error.issues.slice(0, 5)) problems.push({ file, reason: `${i.path.join('.') || '(root)'}: ${i.message}` });
      continue;
    }
    const prior = origin.get(p.data.id);
    if (prior) {
      problems.push({ file, reason: `profile id "${p.data.id}" is already defined in ${prior}` });
      continue;
    }
    const topics = p.data.routes.flatMap((r) => (r.topic ? [r.topic] : []));
    const paths = p.data.routes.flatMap((r) => (r.http ? [r.http] : []));
    const twice = [...topics.filter((t, i) => topics.indexOf(t) !== i), ...paths.filter((t, i) => paths.indexOf(t) !== i)];
    if (twice.length) {
      problems.push({ file, reason: `routes: "${twice[0]}" is served by two routes` });
      continue;
    }
    origin.set(p.data.id, file);
    out.set(p.data.id, p.data);
  }
  if (problems.length) throw new ProfileSetError(problems);
  return out;
}
