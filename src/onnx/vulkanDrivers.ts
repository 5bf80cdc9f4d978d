// Which Vulkan drivers the Vulkan loader would load on Linux, read from their manifest files by
// the loader's own search rules. onnxruntime-node's WebGPU provider (Dawn) runs on Vulkan there
// and tells Node nothing about the adapter it picked, so this is how `auto` names a software
// adapter (SwiftShader, lavapipe/llvmpipe) before it is chosen. The search follows the loader's
// documentation (LoaderDriverInterface.md, "Driver Discovery on Linux"): VK_DRIVER_FILES (or the
// older VK_ICD_FILENAMES) replaces the search; VK_ADD_DRIVER_FILES adds to it; otherwise the
// icd.d folders under XDG_CONFIG_HOME, XDG_CONFIG_DIRS, /etc, XDG_DATA_HOME and XDG_DATA_DIRS.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

export type VulkanDriverKind = 'software' | 'hardware' | 'unknown';

export interface VulkanDriver {
  /** The manifest (ICD JSON) file. */
  manifest: string;
  /** Its `library_path` as written (a bare name is found by the dynamic linker). */
  library: string;
  /** A readable name: SwiftShader, lavapipe, NVIDIA, RADV, … or the library's base name. */
  name: string;
  kind: VulkanDriverKind;
}

export interface VulkanDriverSearch {
  drivers: VulkanDriver[];
  /** Where the loader looks (folders and files), in order: for messages. */
  searched: string[];
  /** Set when an environment variable decided the list. */
  override?: string;
  /** Manifests that could not be read or parsed, with the reason. */
  unreadable: string[];
}

/** Known Vulkan driver libraries. Software ones are CPU emulations of a GPU; a mock driver has no device at all. */
const knownDrivers: { pattern: RegExp; name: string; kind: VulkanDriverKind }[] = [
  { pattern: /vk_swiftshader/i, name: 'SwiftShader', kind: 'software' },
  { pattern: /vulkan_lvp|lvp_icd/i, name: 'lavapipe (llvmpipe)', kind: 'software' },
  { pattern: /VkICD_mock_icd|mock_icd/i, name: 'the Vulkan mock driver', kind: 'software' },
  { pattern: /nvidia/i, name: 'NVIDIA', kind: 'hardware' },
  { pattern: /vulkan_radeon|radeon_icd/i, name: 'RADV (AMD)', kind: 'hardware' },
  { pattern: /amdvlk/i, name: 'AMDVLK (AMD)', kind: 'hardware' },
  { pattern: /vulkan_intel_hasvk|intel_hasvk/i, name: 'Intel (hasvk)', kind: 'hardware' },
  { pattern: /vulkan_intel|intel_icd/i, name: 'Intel (ANV)', kind: 'hardware' },
  { pattern: /vulkan_nouveau|nouveau_icd/i, name: 'NVK (nouveau)', kind: 'hardware' },
  { pattern: /vulkan_freedreno|freedreno/i, name: 'Turnip (Adreno)', kind: 'hardware' },
  { pattern: /vulkan_panfrost|panfrost/i, name: 'PanVK (Mali)', kind: 'hardware' },
  { pattern: /vulkan_broadcom|broadcom/i, name: 'V3DV (Broadcom)', kind: 'hardware' },
  { pattern: /vulkan_asahi|asahi/i, name: 'Honeykrisp (Apple)', kind: 'hardware' },
  { pattern: /vulkan_powervr|powervr/i, name: 'PowerVR', kind: 'hardware' },
  // Venus and Dozen forward to another API: the device behind them may be a GPU or WARP.
  { pattern: /vulkan_virtio|virtio_icd/i, name: 'Venus (virtio-gpu)', kind: 'unknown' },
  { pattern: /vulkan_dzn|dzn_icd/i, name: 'Dozen (Direct3D 12)', kind: 'unknown' },
  { pattern: /vulkan_gfxstream|gfxstream/i, name: 'gfxstream', kind: 'unknown' },
];

export function classifyVulkanDriver(manifest: string, library: string): { name: string; kind: VulkanDriverKind } {
  const text = `${basename(library)} ${basename(manifest)}`;
  const known = knownDrivers.find((d) => d.pattern.test(text));
  return known ? { name: known.name, kind: known.kind } : { name: basename(library), kind: 'unknown' };
}

function pathList(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p !== '');
}

/** VK_LOADER_DRIVERS_SELECT / _DISABLE: comma-separated globs over manifest file names. */
function globList(value: string | undefined): RegExp[] {
  return (value ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '')
    .map((g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i'));
}

/** The manifests named by one entry of a path list: a file, or every .json file of a folder. */
function manifestsAt(entry: string): string[] {
  try {
    if (statSync(entry).isDirectory()) return readdirSync(entry).filter((f) => f.endsWith('.json')).sort().map((f) => join(entry, f));
    return [entry];
  } catch {
    return [];
  }
}

export interface SearchLocations {
  home?: string;
  /** The loader's SYSCONFDIR folders (default /usr/local/etc and /etc). */
  systemConfigDirs?: readonly string[];
}

export function searchVulkanDrivers(env: NodeJS.ProcessEnv = process.env, locations: SearchLocations = {}): VulkanDriverSearch {
  const home = locations.home ?? homedir();
  const replacing = env.VK_DRIVER_FILES !== undefined && env.VK_DRIVER_FILES !== '' ? 'VK_DRIVER_FILES' : env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : undefined;
  let searched: string[];
  if (replacing) searched = pathList(env[replacing]);
  else {
    const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
    const configDirs = pathList(env.XDG_CONFIG_DIRS || '/etc/xdg');
    const dataHome = env.XDG_DATA_HOME || join(home, '.local/share');
    const dataDirs = pathList(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share');
    searched = [configHome, ...configDirs, ...(locations.systemConfigDirs ?? ['/usr/local/etc', '/etc']), dataHome, ...dataDirs].map((d) => join(d, 'vulkan', 'icd.d'));
  }
  const added = pathList(env.VK_ADD_DRIVER_FILES);
  searched = [...added, ...searched];
  const drivers: VulkanDriver[] = [];
  const unreadable: string[] = [];
  const seen = new Set<string>();
  const disabled = globList(env.VK_LOADER_DRIVERS_DISABLE);
  const selected = globList(env.VK_LOADER_DRIVERS_SELECT);
  for (const manifest of searched.flatMap(manifestsAt)) {
    if (seen.has(manifest)) continue;
    seen.add(manifest);
    const file = basename(manifest);
    if (selected.length ? !selected.some((g) => g.test(file)) : disabled.some((g) => g.test(file))) continue;
    let library: unknown;
    try {
      library = (JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path;
    } catch (error) {
      unreadable.push(`${manifest}: ${(error as Error).message}`);
      continue;
    }
    if (typeof library !== 'string' || library === '') {
      unreadable.push(`${manifest}: no ICD.library_path`);
      continue;
    }
    // A relative path with a slash is relative to the manifest; a bare name goes to the dynamic linker.
    const resolved = library.includes('/') && !isAbsolute(library) ? join(dirname(manifest), library) : library;
    if (resolved.includes('/') && !existsSync(resolved)) {
      unreadable.push(`${manifest}: its library ${resolved} does not exist`);
      continue;
    }
    drivers.push({ manifest, library: resolved, ...classifyVulkanDriver(manifest, resolved) });
  }
  return { drivers, searched, override: replacing ?? (added.length ? 'VK_ADD_DRIVER_FILES' : undefined), unreadable };
}
