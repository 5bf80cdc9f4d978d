// The driver-message filter on stderr texts captured from real runs of onnxruntime-node 1.30
// (Dawn) with Mesa 22.3's lavapipe and device_select layer, and with no Vulkan loader at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverMessageFilter, isDriverLine } from '../../src/protocol/driverMessages';

const captured = {
  xdg: 'error: XDG_RUNTIME_DIR is invalid or not set in the environment.\n',
  lavapipe:
    'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n' +
    ' - While initializing adapter (backend=BackendType::Vulkan)\n' +
    '    at InitializeImpl (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:253)\n\n',
  noLoader: "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n    at operator() (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/BackendVk.cpp:368)\n\n",
  loaderJson: 'Warning: loader_get_json: Failed to open JSON file /nonexist.json\n',
  noDrivers: 'Warning: vkCreateInstance: Found no drivers!\nWarning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER\n    at CheckVkSuccessImpl (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/VulkanError.cpp:106)\n\n',
};

function split(chunks: string[]): { driver: string; other: string; count: number } {
  let driver = '';
  let other = '';
  const filter = new DriverMessageFilter({ onDriver: (t) => (driver += t), onOther: (t) => (other += t) });
  for (const c of chunks) filter.write(c);
  filter.end();
  return { driver, other, count: filter.count };
}

test('Dawn, Vulkan-loader and libwayland messages go to the driver side, everything else through, in order', () => {
  const ours = 'verify-fixture: running on webgpu\n  provider note: webgpu: WARNING — runs on the software adapter SwiftShader\n';
  const all = captured.xdg + captured.xdg + captured.lavapipe + ours + captured.noLoader + captured.loaderJson + captured.noDrivers + 'all 2 outputs within tolerance\n';
  const { driver, other, count } = split([all]);
  assert.equal(other, ours + 'all 2 outputs within tolerance\n');
  assert.equal(driver, captured.xdg + captured.xdg + captured.lavapipe + captured.noLoader + captured.loaderJson + captured.noDrivers);
  assert.equal(count, 7); // two libwayland lines, a loader message, four Dawn messages (noDrivers is two)
});

test('a message split across chunks mid-line is still recognised', () => {
  const all = captured.lavapipe + 'step 1 loss 0.1\n';
  const cut = [all.slice(0, 17), all.slice(17, 80), all.slice(80)];
  const { driver, other } = split(cut);
  assert.equal(driver, captured.lavapipe);
  assert.equal(other, 'step 1 loss 0.1\n');
});

test('a JavaScript error with its stack trace is not taken for a Dawn message, even when it mentions Vulkan', () => {
  const stack = 'Error: could not create an ONNX Runtime session on webgpu: Failed to get a WebGPU adapter (no Vulkan driver is installed)\n    at createSession (/repo/dist/cli.js:120:11)\n    at async main (/repo/dist/cli.js:900:3)\n';
  const warning = 'Warning: this dataset has 3 images\n';
  const { driver, other } = split([stack, warning]);
  assert.equal(driver, '');
  assert.equal(other, stack + warning);
});

test('single driver lines: loader messages, Mesa, lavapipe conformance; our own lines are not', () => {
  assert.ok(isDriverLine('ERROR: [Loader Message] Code 0 : loader_scanned_icd_add: Could not get'));
  assert.ok(isDriverLine('WARNING: lavapipe is not a conformant vulkan implementation, testing use only.'));
  assert.ok(isDriverLine('MESA: error: ZINK: failed to choose pdev'));
  assert.ok(!isDriverLine('warning: vectors: 2 vector(s) per token: only a vague outline'));
  assert.ok(!isDriverLine('error: XDG_RUNTIME_DIR is set'));
});
