"""Every test here needs dezero-onnx, which README's setup command does not install: without it each
module is reported as skipped, naming the distribution."""
from dezero_core.testing.needs import skip_modules_without

pytest_pycollect_makemodule = skip_modules_without(
    "dezero-onnx", ["dezero_onnx", "onnx", "onnxruntime"], "pip install -e 'plugins/onnx[test]'")
