import { describe, expect, it } from 'vitest';
import { HELP, parseCliArgs, resolveOptions, SEEDED_START_TIME, SimOptionsError, wantsHelp } from '../../../device-sim/src/args.js';

const cli = (...argv: string[]) => resolveOptions(parseCliArgs(argv));
const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (err) {
    if (err instanceof SimOptionsError) return err.problems;
    throw err;
  }
  throw new Error('expected a SimOptionsError');
};

describe('parseCliArgs and resolveOptions', () => {
  it('fills in the documented defaults', () => {
    const o = cli();
    expect(o).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      fleet: { sites: 1, devicesPerSite: 4, sector: 'mixed', camerasPerSite: 0 },
      rate: 10,
      qos: 0,
      keepalive: 60,
      connectRate: 100,
      progressEvery: 10_000,
      startTime: 'now',
      seedGiven: false,
      dryRun: false,
    });
    expect(o.duration).toBeUndefined();
  });

  it('reads every flag of the command line', () => {
    const o = cli(
      '--url', 'mqtt://broker:1884', '--sites', '3', '--devices-per-site', '5', '--sector', 'mining', '--cameras-per-site', '1',
      '--seed', 'x', '--start-time', '2025-06-01T08:00:00+08:00', '--rate', '2500', '--duration', '5m', '--count', '100',
      '--qos', '1', '--keepalive', '30', '--connect-rate', '20', '--scenario', 'leak', '--scenario', 'silent',
      '--scenario-devices', 'a,b', '--record', 'out.ndjson', '--progress-every', '2s', '--quiet',
    );
    expect(o).toMatchObject({
      url: 'mqtt://broker:1884',
      fleet: { sites: 3, devicesPerSite: 5, sector: 'mining', camerasPerSite: 1 },
      seed: 'x',
      startTime: Date.parse('2025-06-01T00:00:00Z'),
      rate: 2500,
      duration: 300_000,
      count: 100,
      qos: 1,
      keepalive: 30,
      connectRate: 20,
      scenarioDevices: ['a', 'b'],
      record: 'out.ndjson',
      progressEvery: 2000,
      quiet: true,
    });
    expect(o.scenarios.map((s) => s.name)).toEqual(['leak', 'silent']);
  });

  it('starts the virtual clock at a fixed instant when a seed is given', () => {
    expect(cli('--seed', '7').startTime).toBe(SEEDED_START_TIME);
  });

  it('keeps the wall clock when a seed comes with --start-time now', () => {
    expect(cli('--seed', '7', '--start-time', 'now').startTime).toBe('now');
  });

  it('draws a seed when none is given', () => {
    expect(cli().seed).not.toBe(cli().seed);
  });

  it('takes durations as numbers of milliseconds from a program', () => {
    expect(resolveOptions({ duration: 2000 }).duration).toBe(2000);
    expect(resolveOptions({ duration: '2s' }).duration).toBe(2000);
  });

  it.each([
    [['--rate', 'abc'], '--rate: must be a number of readings per second above 0, at most 100000 (got "abc")'],
    [['--rate', '0'], '--rate: must be a number of readings per second above 0, at most 100000 (got "0")'],
    [['--qos', '2'], '--qos: must be 0 or 1'],
    [['--duration', 'soon'], '--duration: must be a duration such as 500ms, 30s, 5m or 1h (got "soon")'],
    [['--sector', 'bakery'], '--sector: must be mixed or one of hazardous_chemicals, mining, construction, pollution_source, food_service, fireworks, other'],
    [['--sites', '1.5'], '--sites: must be an integer from 1 to 100000 (got "1.5")'],
    [['--url', 'http://x'], '--url: must be a broker URL such as mqtt://127.0.0.1:1883 (mqtt, mqtts, tcp, ssl, tls, ws, wss)'],
    [['--start-time', 'yesterday'], '--start-time: must be "now", an ISO 8601 time such as 2025-06-01T08:00:00+08:00, or epoch milliseconds (got "yesterday")'],
    [['--scenario-devices', 'a b'], '--scenario-devices: must be a comma-separated list of device ids, site ids or globs (got "a b")'],
    [['--frobnicate'], 'unknown option --frobnicate'],
    [['extra'], 'unexpected argument extra'],
    [['--rate'], '--rate: needs a value'],
  ])('refuses %j with a readable message', (argv, message) => {
    expect(problems(() => cli(...argv))).toContain(message);
  });

  it('reports a bad scenario with its text', () => {
    expect(problems(() => cli('--scenario', 'leak:to=x'))).toEqual(['--scenario "leak:to=x": to: must be a number (got "x")']);
  });

  it('reports every bad value at once', () => {
    expect(problems(() => cli('--rate', '0', '--qos', '3'))).toHaveLength(2);
  });

  it('refuses a registry file together with fleet options', () => {
    expect(problems(() => cli('--registry', 'r.yaml', '--sites', '2'))[0]).toMatch(/use either --registry or --sites/);
  });

  it('refuses a dry run that would never end', () => {
    expect(problems(() => cli('--dry-run'))).toEqual(['--dry-run: needs --count or --duration, or it would never end']);
  });

  it('refuses more cameras than devices per site', () => {
    expect(problems(() => cli('--devices-per-site', '2', '--cameras-per-site', '3'))[0]).toMatch(/--cameras-per-site: 3 is more than/);
  });

  it('names unknown options of a program by their flag', () => {
    expect(problems(() => resolveOptions({ ratePerSecond: 3 } as never))).toEqual(['unknown option --rate-per-second']);
  });

  it('prints a message that points to --help', () => {
    expect(() => cli('--rate', 'x')).toThrow(/invalid options:\n {2}--rate: .*\nRun with --help for the options\./);
  });
});

describe('wantsHelp and HELP', () => {
  it('recognises --help and -h', () => {
    expect(wantsHelp(['--rate', '3', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp([])).toBe(false);
  });

  it('documents every flag the parser accepts', () => {
    const flags = ['--url', '--registry', '--sites', '--devices-per-site', '--sector', '--cameras-per-site', '--write-registry', '--seed',
      '--start-time', '--rate', '--duration', '--count', '--qos', '--keepalive', '--connect-rate', '--scenario', '--scenario-devices',
      '--record', '--dry-run', '--progress-every', '--quiet', '--help'];
    for (const f of flags) expect(HELP).toContain(f);
  });

  it('documents every scenario', () => {
    for (const s of ['normal', 'leak:', 'spike:', 'flap:', 'stuck:', 'silent', 'burst:', 'skew:', 'malformed:']) expect(HELP).toContain(s);
  });
});
