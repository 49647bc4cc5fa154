/**
 * The two binary containers Keras writes, read lazily: zip (yauzl reads the central directory and only
 * the entry asked for) and HDF5 (h5wasm, libhdf5 in WebAssembly, reading from the real filesystem).
 */
import { NetcensusError } from '../errors.js';

/** Architecture JSON is small (DenseNet-201's is under 1 MB); more than this is not a config. */
export const MAX_JSON = 64 * 2 ** 20;

/** A zip entry's bytes, read lazily: yauzl reads the central directory and only the entry asked for. */
export async function readZipEntry(path: string, entry: string, maxBytes = MAX_JSON): Promise<Buffer | undefined> {
  const yauzl = await import('yauzl');
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no archive'));
      let found = false;
      zip.on('error', reject);
      zip.on('end', () => {
        if (!found) resolve(undefined);
      });
      zip.on('entry', (e: import('yauzl').Entry) => {
        if (e.fileName !== entry) return zip.readEntry();
        found = true;
        if (e.uncompressedSize > maxBytes) return reject(new Error(`${entry} is ${e.uncompressedSize} bytes`));
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) return reject(err2 ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      zip.readEntry();
    });
  });
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
