// CRC-32 (ISO-HDLC, as ZIP and PNG use it) for the PNG chunk writer. The ZIP reader and writer
// live in src/sd/zipArchive, which has its own copy: pngTextChunks reaches the extension host
// bundle (through the run-folder replay), where nothing of src/sd may be loaded, and src/sd may
// not import src/train. One copy in a module both may import (e.g. src/dataset) would end this.

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
