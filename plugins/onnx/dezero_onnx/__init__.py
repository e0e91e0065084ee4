"""ONNX export and import for dezero-core."""
