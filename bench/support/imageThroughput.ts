// Timing a pass over a batch of images for the image benchmarks (preprocess, tagger): wall time,
// images per second, and this process's CPU time per image too, since on a shared, loaded machine
// wall time says little on its own (libvips threads count in the CPU time; ORT's threads as well).

/** Runs `run`, prints one line for `label`, returns the wall seconds. */
export async function timeImagePass(label: string, images: number, run: () => Promise<unknown>, labelWidth = 34): Promise<number> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / images;
  console.log(`${label.padEnd(labelWidth)} ${seconds.toFixed(2).padStart(7)} s  ${(images / seconds).toFixed(1).padStart(7)} images/s  ${cpuMs.toFixed(1).padStart(6)} ms CPU/image`);
  return seconds;
}
