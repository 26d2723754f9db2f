/** Files written so that a crash leaves them absent or complete: a temp name, fsync, then rename. */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

function writeThroughTemp(file: string, write: (fd: number) => void): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    write(fd);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
}

/** Writes a file so that it is either absent or complete and on disk. */
export function writeFileDurably(file: string, data: Buffer): void {
  writeThroughTemp(file, (fd) => writeSync(fd, data));
}

/** Writes the concatenation of files (a multipart upload's parts) as one file, one part in memory at a time. */
export function concatenateFilesDurably(file: string, sources: readonly string[]): void {
  writeThroughTemp(file, (fd) => {
    for (const source of sources) writeSync(fd, readFileSync(source));
  });
}
