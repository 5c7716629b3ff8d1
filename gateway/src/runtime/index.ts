// The running gateway's parts: components started in order and stopped in reverse, and the
// small periodic and file-watching components they are often made of.
export { startComponents, stopComponents, periodic, type Component } from './components.js';
export { watchFile, watchFolder, type WatchOptions } from './watch.js';
export { mapStacksLazily } from './source-stacks.js';
