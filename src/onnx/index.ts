/**
 * `onnx` — a small ONNX graph builder with reverse-mode autodiff, serialisation and an
 * onnxruntime-node session wrapper. Uses nothing else of ours; never imports `vscode`.
 *
 * Build:
 *   const g = new Graph('unet');
 *   const x = g.input('x', 'float32', [1, 4, 64, 64]);          // Value: .name .dtype .shape (static)
 *   const w = g.externalTensor('conv_in.weight', { dtype: 'float16', shape: [320, 4, 3, 3],
 *               location: placement.dataLocation, offset, length }); // points into the .safetensors
 *   const c = g.constant(values, shape, 'float32'); g.scalar(0.5, 'float32'); g.ints([1, 2]);
 *   const y = g.conv(x, g.cast(w, 'float32'), bias, { strides: [1, 1], pads: [1, 1, 1, 1], group: 1 });
 *   g.output(y, 'y');
 * Ops (each checks shapes and throws ShapeError "Op: … [a] and [b] …"): add sub mul div pow
 *   sqrt neg exp log erf tanh sigmoid sin cos identity gelu(exact) quickGelu silu where cast
 *   matMul gemm conv convTranspose softmax layerNorm groupNorm(-21, scale/bias [C]) reduceMean
 *   reduceSum reshape transpose slice split concat unsqueeze squeeze expand gather
 *   resizeNearest2x padZeros scatterNDAdd zeros; g.addNode() for anything else.
 *
 * Differentiate:
 *   const [dx, dw] = grad(g, loss, [x, w]);  // loss: one-element float value; adds nodes to g
 *   g.output(dx, 'dx');
 *   Only ops on paths wrt -> loss are differentiated. Rules: gradients/<Op>.ts, listed in
 *   gradients/index.ts; `differentiableOpTypes` lists them. Missing rule -> GradientError naming
 *   the op and the path from wrt.
 *
 * Serialise and run:
 *   const bytes = serializeModel(g, { opset: 21 });      // ModelProto (IR 10); only live nodes
 *   describeGraph(g) / summarizeGraph(g)                  // op counts, parameter bytes, listing
 *   const place = placeModelForCheckpoint(ckptPath, { modelFileName: 'unet.onnx', cacheDir });
 *   // build externalTensor()s with location = place.dataLocation, then:
 *   writeModel(place.modelPath, bytes);
 *   const s = await createSession(place.modelPath, { provider: 'auto', intraOpThreads, disablePrepacking });
 *   s.provider; s.providerNotes;                          // what it got, why others were skipped
 *   const out = await s.run({ x: { dtype: 'float32', shape: [1, 4, 64, 64], data } }); // HostTensor
 *   await s.release();
 *   Small models: createSession(bytes, { externalData: [{ path: location, data }] }).
 *   session.run blocks the JS thread: call it in a worker or child process.
 */
export * from './dtype';
export * from './graph';
export * from './shapeInference';
export * from './serialize';
export * from './describeGraph';
export * from './grad';
export { gradientRules, differentiableOpTypes } from './gradients/index';
export type { OpGradient, GradientContext } from './gradients/index';
export * from './session';
export * from './modelPlacement';
