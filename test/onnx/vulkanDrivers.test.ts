// Vulkan driver discovery by the loader's rules, and what it tells `auto` about the WebGPU
// adapter, over manifest folders written here (the layout Mesa, NVIDIA and Chromium install).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchVulkanDrivers } from '../../src/onnx/vulkanDrivers';
import { nameWebgpuAdapter } from '../../src/onnx/gpuAdapter';

const root = mkdtempSync(join(tmpdir(), 'es-vulkan-'));
after(() => rmSync(root, { recursive: true, force: true }));

function manifest(folder: string, file: string, library: string): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, file);
  writeFileSync(path, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }));
  return path;
}

// A home and system folders with no driver at all, for the XDG search.
const where = { home: join(root, 'home'), systemConfigDirs: [join(root, 'none/etc')] };
const named = (env: NodeJS.ProcessEnv) => nameWebgpuAdapter('linux', env, searchVulkanDrivers(env, where));
const empty = { XDG_CONFIG_HOME: join(root, 'none/config'), XDG_CONFIG_DIRS: join(root, 'none/xdg'), XDG_DATA_HOME: join(root, 'none/data'), XDG_DATA_DIRS: join(root, 'none/share') };

test('the XDG data folders are searched; Mesa\'s set is hardware drivers and lavapipe; a bare library name is kept for the linker', () => {
  const share = join(root, 'mesa/share');
  const icd = join(share, 'vulkan/icd.d');
  manifest(icd, 'lvp_icd.x86_64.json', 'libvulkan_lvp.so');
  manifest(icd, 'radeon_icd.x86_64.json', 'libvulkan_radeon.so');
  manifest(icd, 'intel_icd.x86_64.json', 'libvulkan_intel.so');
  const search = searchVulkanDrivers({ ...empty, XDG_DATA_DIRS: share }, where);
  assert.equal(search.override, undefined);
  assert.deepEqual(search.drivers.map((d) => [d.name, d.kind, d.library]), [
    ['Intel (ANV)', 'hardware', 'libvulkan_intel.so'],
    ['lavapipe (llvmpipe)', 'software', 'libvulkan_lvp.so'],
    ['RADV (AMD)', 'hardware', 'libvulkan_radeon.so'],
  ]);
  assert.ok(search.searched.includes(icd));
  // hardware drivers installed: which adapter Dawn gets cannot be named, the probe must decide
  assert.equal(named({ ...empty, XDG_DATA_DIRS: share }), undefined);
  // the loader's own switch to leave drivers out
  const onlySoftware = searchVulkanDrivers({ ...empty, XDG_DATA_DIRS: share, VK_LOADER_DRIVERS_DISABLE: 'radeon_*,intel_*' }, where);
  assert.deepEqual(onlySoftware.drivers.map((d) => d.name), ['lavapipe (llvmpipe)']);
});

test('VK_ICD_FILENAMES replaces the search: SwiftShader alone is a named software adapter', () => {
  const chromium = join(root, 'chromium');
  mkdirSync(chromium, { recursive: true });
  writeFileSync(join(chromium, 'libvk_swiftshader.so'), '');
  const file = manifest(chromium, 'vk_swiftshader_icd.json', './libvk_swiftshader.so');
  const env = { ...empty, XDG_DATA_DIRS: join(root, 'mesa/share'), VK_ICD_FILENAMES: file };
  const search = searchVulkanDrivers(env, where);
  assert.equal(search.override, 'VK_ICD_FILENAMES');
  assert.deepEqual(search.drivers.map((d) => [d.name, d.kind, d.library]), [['SwiftShader', 'software', join(chromium, 'libvk_swiftshader.so')]]);
  const adapter = named(env)!;
  assert.deepEqual([adapter.method, adapter.available, adapter.software, adapter.name], ['vulkan-driver-manifests', true, true, 'SwiftShader']);
  assert.match(adapter.detail, /SwiftShader \(.*vk_swiftshader_icd\.json\), a CPU emulation of a GPU/);
});

test('VK_DRIVER_FILES wins over VK_ICD_FILENAMES; VK_ADD_DRIVER_FILES adds; a folder entry means its .json files', () => {
  const nvidia = join(root, 'nvidia/icd.d');
  manifest(nvidia, 'nvidia_icd.json', 'libGLX_nvidia.so.0');
  const extra = manifest(join(root, 'extra'), 'lvp.json', 'libvulkan_lvp.so');
  const search = searchVulkanDrivers({ ...empty, VK_DRIVER_FILES: nvidia, VK_ICD_FILENAMES: join(root, 'chromium/vk_swiftshader_icd.json'), VK_ADD_DRIVER_FILES: extra }, where);
  assert.equal(search.override, 'VK_DRIVER_FILES');
  assert.deepEqual(search.drivers.map((d) => d.name), ['lavapipe (llvmpipe)', 'NVIDIA']);
});

test('no manifest anywhere: no adapter can exist, and the message says where the loader looked', () => {
  const adapter = named(empty)!;
  assert.equal(adapter.available, false);
  assert.match(adapter.detail, /no Vulkan driver is installed/);
  assert.ok(adapter.detail.includes(join(root, 'none/share', 'vulkan', 'icd.d')), adapter.detail);
});

test('unreadable manifests and missing libraries are reported, not trusted', () => {
  const broken = join(root, 'broken');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'a.json'), '{ not json');
  manifest(broken, 'b.json', '/nonexistent/libvulkan_radeon.so');
  const search = searchVulkanDrivers({ ...empty, VK_DRIVER_FILES: broken }, where);
  assert.equal(search.drivers.length, 0);
  assert.equal(search.unreadable.length, 2);
  assert.match(search.unreadable.join('\n'), /a\.json: .*JSON/);
  assert.match(search.unreadable.join('\n'), /does not exist/);
});

test('macOS is named by the platform; Windows cannot be named (the probe decides)', () => {
  assert.equal(nameWebgpuAdapter('darwin', {})!.software, false);
  assert.equal(nameWebgpuAdapter('win32', {}), undefined);
});
