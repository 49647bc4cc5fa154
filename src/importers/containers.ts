/**
 * The two binary containers Keras writes, read lazily: zip (yauzl reads the central directory and only
 * the entry asked for) and HDF5 (h5wasm, libhdf5 in WebAssembly, reading from the real filesystem).
 */
import { createWriteStream } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NetcensusError } from '../errors.js';
import { openRegular } from './untrusted.js';

/** Architecture JSON is small (DenseNet-201's is under 1 MB); more than this is not a config. */
export const MAX_JSON = 64 * 2 ** 20;

/**
 * Streams one zip entry into `sink`, bounded while it inflates: yauzl reads the central directory and only
 * that entry, refuses an entry that inflates past its declared size, and the count here stops one that
 * declares more than `maxBytes`. Resolves false where the archive has no such entry.
 */
/** A zip's central directory, read lazily from a regular file (entries one by one, on readEntry). */
async function openZip(path: string): Promise<import('yauzl').ZipFile> {
  const yauzl = await import('yauzl');
  const { fd } = openRegular(path, path);
  return new Promise<import('yauzl').ZipFile>((resolve, reject) =>
    yauzl.fromFd(fd, { lazyEntries: true, autoClose: true }, (err, z) =>
      err || !z ? reject(err ?? new Error('no archive')) : resolve(z),
    ),
  );
}

async function zipEntry(path: string, entry: string, maxBytes: number, sink: Writable): Promise<boolean> {
  const zip = await openZip(path);
  try {
    const found = await new Promise<import('yauzl').Entry | undefined>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve(undefined));
      zip.on('entry', (e: import('yauzl').Entry) => (e.fileName === entry ? resolve(e) : zip.readEntry()));
      zip.readEntry();
    });
    if (!found) return false;
    if (found.uncompressedSize > maxBytes)
      throw new Error(
        `${entry} inflates to ${found.uncompressedSize} bytes, more than the ${maxBytes} netcensus reads`,
      );
    const stream = await new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(found, (err, st) => (err || !st ? reject(err ?? new Error('no stream')) : resolve(st))),
    );
    let total = 0;
    const bound = new Transform({
      transform(chunk: Buffer, _enc, done) {
        total += chunk.length;
        done(total > maxBytes ? new Error(`${entry} inflates past ${maxBytes} bytes`) : null, chunk);
      },
    });
    await pipeline(stream, bound, sink);
    return true;
  } finally {
    zip.close();
  }
}

/** A zip entry as its central directory describes it. */
export interface ZipEntryInfo {
  name: string;
  /** Its declared size once inflated (yauzl refuses an entry that inflates past it). */
  size: number;
}

/** A zip's first `max` entries, from its central directory (nothing is inflated). */
export async function zipDirectory(path: string, max = 1000): Promise<ZipEntryInfo[]> {
  const zip = await openZip(path);
  try {
    return await new Promise<ZipEntryInfo[]>((resolve, reject) => {
      const entries: ZipEntryInfo[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (e: import('yauzl').Entry) => {
        entries.push({ name: e.fileName, size: e.uncompressedSize });
        if (entries.length >= max) resolve(entries);
        else zip.readEntry();
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** The names of a zip's first `max` entries, from its central directory (nothing is inflated). */
export async function zipEntryNames(path: string, max = 1000): Promise<string[]> {
  return (await zipDirectory(path, max)).map((e) => e.name);
}

/** A zip entry's bytes (a config), at most `maxBytes`; undefined where the archive has no such entry. */
export async function readZipEntry(path: string, entry: string, maxBytes = MAX_JSON): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  return (await zipEntry(path, entry, maxBytes, sink)) ? Buffer.concat(chunks) : undefined;
}

/** A zip entry written to a file (weights: never held in memory); false where the archive has no such entry. */
export async function extractZipEntry(path: string, entry: string, maxBytes: number, to: string): Promise<boolean> {
  return zipEntry(path, entry, maxBytes, createWriteStream(to, { flags: 'wx' }));
}

type H5 = typeof import('h5wasm/node').default;
let h5: Promise<H5> | undefined;

/** h5wasm (libhdf5 in WebAssembly), loaded on first use; it reads files lazily from the real filesystem. */
export function hdf5(): Promise<H5> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    // libhdf5 prints its error stack to stderr by default; this handler turns it into an exception, and
    // netcensus says what went wrong in one line of its own.
    const module = (await m.default.ready) as unknown as { activate_throwing_error_handler(): number };
    module.activate_throwing_error_handler();
    return m.default;
  });
  return h5;
}

/** Opens an HDF5 file for reading; a file HDF5 cannot open is one line, never a crash. */
export async function openHdf5(path: string): Promise<InstanceType<H5['File']>> {
  const lib = await hdf5();
  let file: InstanceType<H5['File']>;
  try {
    file = new lib.File(path, 'r');
  } catch {
    throw new NetcensusError(`${path}: an HDF5 signature, but libhdf5 cannot read the file (corrupt or truncated)`);
  }
  // libhdf5 reports a file it cannot read (a bad superblock, a truncated file) as a negative id, not a throw.
  if (!(Number(file.file_id) >= 0)) {
    throw new NetcensusError(`${path}: an HDF5 signature, but libhdf5 cannot read the file (corrupt or truncated)`);
  }
  return file;
}
