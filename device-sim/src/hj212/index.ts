// HJ 212 loggers for the simulator and the demo.
export { HJ212_SCENARIOS, framesBetween, realTimeFrame, minuteFrame, hourFrames, type Hj212Scenario, type SimLoggerSpec, type TimedFrame } from './frames.js';
export { runHj212, type Hj212RunOptions, type Hj212Stats } from './runner.js';
export { HJ212_HELP, runHj212Cli, loggersOf, hj212Registry } from './cli.js';
