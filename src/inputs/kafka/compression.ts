/**
 * Kafka compression codecs for kafkajs, which only ships gzip. All pure JavaScript, so
 * nothing native is built or downloaded at install time. Decompression is what the input
 * needs; sluice's own producers write uncompressed or gzip (snappy also works).
 */
import kafkajs from 'kafkajs';
import SnappyJS from 'snappyjs';
import * as lz4 from 'lz4js';
import { decompress as zstdDecompress } from 'fzstd';

const { CompressionCodecs, CompressionTypes } = kafkajs;

// The Java client frames snappy data the way xerial's SnappyOutputStream does: a magic
// header, then blocks each prefixed with its big-endian length.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

export function snappyDecompress(buf: Buffer): Buffer {
  if (buf.length >= 16 && buf.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const parts: Buffer[] = [];
    let pos = 16; // magic (8) + version (4) + compatible version (4)
    while (pos < buf.length) {
      const len = buf.readUInt32BE(pos);
      pos += 4;
      parts.push(Buffer.from(SnappyJS.uncompress(buf.subarray(pos, pos + len))));
      pos += len;
    }
    return Buffer.concat(parts);
  }
  return Buffer.from(SnappyJS.uncompress(buf));
}

const unsupported = (name: string) => async () => {
  throw new Error(`producing with ${name} compression is not supported; use gzip or none`);
};

let registered = false;

export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = () => ({
    compress: async (encoder: { buffer: Buffer }) => Buffer.from(SnappyJS.compress(encoder.buffer)),
    decompress: async (buf: Buffer) => snappyDecompress(buf),
  });
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    // lz4js writes frames with dependent blocks, which brokers refuse; decompression only.
    compress: unsupported('lz4'),
    decompress: async (buf: Buffer) => Buffer.from(lz4.decompress(buf)),
  });
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: unsupported('zstd'),
    decompress: async (buf: Buffer) => Buffer.from(zstdDecompress(buf)),
  });
}
