// The ZIP reader and writer live in src/sd/zipArchive (checkpoints and embeddings share them);
// this name stays for the PNG chunk writer's CRC.
export { crc32 } from '../sd/zipArchive';
