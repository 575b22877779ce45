/**
 * The images tests run, built once per machine (see containerEngine.ts). Each is named
 * `localhost/berth-test/<name>:<n>`; bump `<n>` when its Dockerfile changes.
 */
import { ensureBaseImage } from './containerEngine.js';
import { ensureComposeImages } from './composeImages.js';

/** Builds every test image that is missing. */
export async function ensureTestImages(): Promise<void> {
  await ensureBaseImage();
  await ensureComposeImages();
}
