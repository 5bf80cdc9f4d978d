/**
 * `onnx` — a small ONNX graph builder with reverse-mode autodiff, serialisation and an
 * onnxruntime-node session wrapper. Uses nothing else of ours but atomic file writes; never
 * imports `vscode`; loads onnxruntime-node only when createSession() is first called.
 *
 * Build (values carry .name .dtype .shape — shapes are static number[]):
 *   const g = new Graph('unet');
 *   const x = g.input('x', 'float32', [1, 4, 64, 64]);
 *   const w = g.externalTensor('conv_in.weight', { dtype: 'float16', shape: [320, 4, 3, 3],
 *               location: placement.dataLocation, offset, length }); // points into the .safetensors
 *   const c = g.constant(values, shape, 'float32'); g.scalar(0.5, 'float32'); g.ints([1, 2]);
 *   const y = g.conv(x, g.cast(w, 'float32'), bias, { strides: [1, 1], pads: [1, 1, 1, 1], group: 1 });
 *   g.output(y, 'y');                                     // renames y (or adds an Identity)
 * Ops (each checks shapes/dtypes and throws ShapeError "Op: … [a] and [b] …"):
 *   add sub mul div pow (numpy broadcasting) · sqrt neg exp log erf tanh sigmoid sin cos identity
 *   gelu (exact, Gelu-20) quickGelu silu where cast · matMul (rank ≥ 2, batch broadcast) gemm
 *   conv convTranspose (weights [Cin, Cout/group, k…]) · softmax(axis) layerNorm(x, scale, bias?,
 *   axis, eps) groupNorm(x, scale[C], bias[C], groups, eps) (GroupNormalization-21)
 *   reduceMean/reduceSum(x, axes?, keepDims) · reshape (one -1, 0 = copy) transpose slice split
 *   concat unsqueeze squeeze expand gather(data, int indices, axis) resizeNearest2x (torch
 *   nearest ×2) padZeros scatterNDAdd zeros · g.addNode(opType, inputs, outputs, attributes) for
 *   anything else (no gradient rule unless listed in gradients/index.ts).
 *
 * Differentiate:
 *   const [dx, dw] = grad(g, loss, [x, w]);  // loss: one-element float value; adds nodes to g
 *   g.output(dx, 'dx');
 *   Only ops on paths wrt -> loss are differentiated (no weight gradients unless asked); fan-out
 *   is summed; broadcasting undone in one place. Rules: gradients/<Op>.ts, listed in
 *   gradients/index.ts; `differentiableOpTypes` lists them. A missing rule throws GradientError
 *   naming the op and the path from wrt ("'emb' → MatMul → Tanh → HardSwish").
 *   Weight gradients of grouped convolutions are not implemented (input gradients are).
 *
 * Serialise and run:
 *   const bytes = serializeModel(g, { opset: 21 });      // ModelProto, IR 10; only live nodes/initialisers
 *   describeGraph(g) / summarizeGraph(g)                  // op counts, parameter bytes, listing
 *   const place = placeModelForCheckpoint(ckptPath, { modelFileName: 'unet.onnx', cacheDir });
 *   //   beside the realpath'd checkpoint if its folder is writable, else a hard link in cacheDir,
 *   //   else an actionable error. Build externalTensor()s with location = place.dataLocation.
 *   writeModel(place.modelPath, bytes);                   // atomic
 *   const s = await createSession(place.modelPath, { provider: 'auto', intraOpThreads, disablePrepacking });
 *   s.provider; s.providerNotes;                          // what it got; why each earlier provider was skipped
 *   const out = await s.run({ x: { dtype: 'float32', shape: [1, 4, 64, 64], data } }, ['loss']?);
 *   out.loss.data                                         // HostTensor { dtype, shape, data }
 *   await s.release();
 *   Small models: createSession(bytes, { externalData: [{ path: location, data }] }).
 *   session.run blocks the JS thread: call it in a worker or child process.
 *   Memory: ORT pre-packs constant MatMul/Conv weights into its own copy (+1× weights RSS);
 *   disablePrepacking keeps them memory-mapped from the checkpoint (see bench/onnxGraphScale.ts).
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
export * from './nodePlacement';
export * from './gpuAdapter';
export * from './vulkanDrivers';
export * from './modelPlacement';
