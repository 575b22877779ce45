/**
 * Named volumes: how a replica mounts one, and a volume's data on a machine as the API shows it.
 * Part of the shared model (dependency-free).
 */

/** A named volume mounted into a replica (berth.yaml `volumes:` + a service's `volumes:` entry). */
export interface VolumeMount {
  /** The app's volume (a key of berth.yaml's top-level `volumes`). */
  volume: string;
  /** Where the container sees it; on one machine, its directory is given in `env` (and BERTH_VOLUME_<NAME>). */
  path: string;
  /** An extra environment variable set to the volume's directory on one machine (e.g. `PGDATA`). */
  env?: string;
  readOnly: boolean;
  /** The volume's requested size (berth.yaml `volumes.<name>.size`), in bytes; clusters' PVC request. */
  sizeBytes?: number;
}

/** A volume's data on a machine (one directory per app, environment and volume; per replica for stateful services). */
export interface VolumeStatus {
  app: string;
  env: string;
  /** The app's volume (berth.yaml `volumes` key). */
  volume: string;
  /** The replica index of a stateful service's own copy (`pgdata-0`); absent for a shared volume. */
  index?: number;
  /** What `berth volume ls` shows: the volume, or `<volume>-<index>` for a stateful replica's copy. */
  name: string;
  /** Bytes of the files under it (apparent sizes, walked like `du --apparent-size`). */
  usedBytes: number;
  /** The requested size (berth.yaml `volumes.<name>.size`), when the last release that mounted it set one. */
  sizeBytes?: number;
  /** Services of the running release that mount it (none after `berth down`). */
  services: string[];
  /** Where the data is (a directory on one machine). */
  path: string;
}
