// Device families from user agents (SV2 vendor/hardware/firmware, or the SV1
// mining.subscribe agent the translator passes on): the same rules the
// translator uses to pick a device's starting difficulty.
export { deviceFamily } from '../sv1/devices.js';
