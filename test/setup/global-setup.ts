// vitest globalSetup: fail early, with the fix, when the real InfluxDB the integration
// tests start is missing. Each test file starts its own influxd (test/helpers/influxd.ts).
import { findInfluxd, INFLUXD_INSTALL_HINT } from '../../gateway/src/storage/influx/index.js';

export default function setup(): void {
  if (findInfluxd() === null) {
    throw new Error(
      `influxd (InfluxDB 1.x) is not on PATH and the integration tests run a real one.\n` +
        `Install it (or run \`npm test\`, which does when it can): ${INFLUXD_INSTALL_HINT}\n` +
        `or set INFLUXD_BIN to the binary.`,
    );
  }
}
