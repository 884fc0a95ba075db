// The analytics package (features, training, ONNX export, evaluation, model registry) is built
// by issue 8; it has no public surface yet.
export {};
