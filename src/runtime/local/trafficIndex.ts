/**
 * One service's counters in a reading of the gateway's (GatewayAccess.traffic). The metric history
 * asks for each service's tracks and routes from one shared reading: the reading is indexed by key
 * once instead of searched once per question (two hundred linear searches of a hundred services at
 * each tick of a 100-service app).
 */
import type { ServiceTraffic } from '../../gateway/table.js';

/** Each reading's services by key, for as long as the reading is in use. */
const indexes = new WeakMap<readonly ServiceTraffic[], Map<string, ServiceTraffic>>();

/** The service `key` (`app/env/service`) in `reading`, or undefined. */
export function serviceIn(reading: readonly ServiceTraffic[], key: string): ServiceTraffic | undefined {
  let index = indexes.get(reading);
  if (!index) {
    index = new Map(reading.map((s) => [s.key, s]));
    indexes.set(reading, index);
  }
  return index.get(key);
}
