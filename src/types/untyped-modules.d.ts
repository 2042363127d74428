// Minimal declarations for small pure-JS packages that ship no types.
declare module 'snappyjs' {
  const SnappyJS: {
    compress(input: Uint8Array): Uint8Array;
    uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
  };
  export default SnappyJS;
}
declare module 'lz4js' {
  export function compress(input: Uint8Array): Uint8Array;
  export function decompress(input: Uint8Array, maxSize?: number): Uint8Array;
}
