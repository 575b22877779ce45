/** A replica's log file as the local runtime lists it and the log index reads it. */

/** One log file and whose it is. */
export interface ReplicaLogFile {
  app: string;
  env: string;
  service: string;
  replica: string;
  path: string;
  /** `<dev>:<inode>`: the same file under any name (rotation and archiving only rename). */
  fileId: string;
  size: number;
  /** An ended run's file: it will not grow. */
  archived: boolean;
}
