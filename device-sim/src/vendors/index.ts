// Vendor devices for the demo and tests: Frigate NVR (MQTT), Hikvision ISAPI (HTTP), a DTU.
export { startVendorSim, vendorDemoSite, vendorDevicesOf, type VendorDevice, type VendorKind, type VendorSimOptions, type VendorStats } from './run.js';
export { frigateSequence, isapiAlert, dtuMessage, dtuTime, isapiTime } from './formats.js';
export { scenePicture } from './picture.js';
