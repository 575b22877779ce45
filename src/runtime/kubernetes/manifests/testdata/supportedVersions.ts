/** For tests: every Kubernetes version Berth renders for, as `minorOf` accepts them (no second list to keep). */
import { minorOf } from '../versions.js';

/** Every version `minorOf` accepts, oldest first (`1.23` ... `1.33`). */
export function supportedVersions(): string[] {
  const out: string[] = [];
  for (let minor = 0; minor < 100; minor++) {
    try {
      minorOf(`1.${minor}`);
      out.push(`1.${minor}`);
    } catch {
      // outside the supported range
    }
  }
  return out;
}
