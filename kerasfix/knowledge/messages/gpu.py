"""Catalogue area: GPU (see the package docstring): what TensorFlow prints when it cannot use an
NVIDIA GPU, and why.

TensorFlow's own log lines come from its C++ code: cuda_dnn.cc (the cuDNN version check),
gpu_device.cc (dlopen failures, skipped registration, compute capabilities), cudart_stub.cc
(no libcuda), cuda_driver.cc (cuInit). The same patterns read those lines in `--deep`'s
captured log (kerasfix/diagnose/runtime_gpu.py) and in a pasted text (`explain`). The scan
findings that back each cause come from kerasfix/diagnose/checks/gpu.py (the CUDA wheels
against TensorFlow's and-cuda pins), checks/gpu_machine.py (driver, LD_LIBRARY_PATH,
CUDA_VISIBLE_DEVICES) and the runtime check.
"""

from __future__ import annotations

from kerasfix.knowledge.messages.records import Cause, Signature

TF_PIP_LINUX = "https://www.tensorflow.org/install/pip#linux"
TF_BUILD_TABLE = "https://www.tensorflow.org/install/source#gpu"

# ---------------------------------------------------------------- TensorFlow's log wording

# "Loaded runtime CuDNN library: 9.1.0 but source was compiled with: 9.3.0.  CuDNN library
# needs to have matching major version and equal or higher minor version." (TF 1.x: "7101
# (compatibility version 7100) but source was compiled with 7004 (compatibility version 7000)")
LOADED_CUDNN = (r"Loaded runtime CuDNN library:? (?P<loaded>\d[\w.]*?)\.? (?:\(compatibility"
                r" version \w+\) )?but source was compiled with:? (?P<built>\d[\w.]*?)\.?"
                r"(?=[\s(]|$)")
DLOPEN = r"Cannot dlopen some GPU libraries"
SKIPPED = r"Skipping registering GPU devices"
MISSING_LIB = r"Could not load dynamic library '(?P<lib>[^'\n]+)'"
NO_DRIVER = r"Could not find cuda drivers on your machine"
DUPLICATE = r"Unable to register (?P<plugin>cu(?:DNN|FFT|BLAS)) factory"
CUINIT = r"failed call to cuInit: (?P<status>CUDA_ERROR_\w+|UNKNOWN ERROR \(\d+\))"
JIT = (r"not built with CUDA kernel binaries compatible with compute capability"
       r" (?P<cc>\d+\.\d+)")
# The CUDA libraries a TensorFlow GPU build dlopens (not libcuda: that one is the driver's).
_CUDA_LIBS = r"lib(?:cudnn|cudart|cublas(?:Lt)?|cufft|curand|cusolver|cusparse|nvJitLink|nccl)"
# What users print when TensorFlow sees no GPU (the first TensorFlow GPU check every guide
# gives, and its `[]`): the evidence that a GPU was expected.
# (`[]` on a line of its own: the empty device list printed after TensorFlow's start-up lines.)
NO_GPU_SEEN = (r"(?:GPUs? [Aa]vailable:?\s*0\b|^[ \t]*\[\][ \t]*$|is_gpu_available\(\)\)?"
               r"[^\n]{0,80}\n(?:[^\n]{0,400}\n){0,12}?[ \t]*False[ \t]*$)")

# ---------------------------------------------------------------- causes

CAUSES: tuple[Cause, ...] = (
    Cause("cudnn-mismatch", "The cuDNN that loads is not the one TensorFlow was built with",
          "TensorFlow checks the cuDNN it loads against the one it was compiled with (same"
          " major, equal or newer minor) and every GPU convolution fails otherwise ('DNN library"
          " initialization failed', 'DNN library is not found'). pip does not remember that"
          " tensorflow[and-cuda] pinned nvidia-cudnn-cu12: installing torch, jax[cuda12] or an"
          " older TensorFlow afterwards moves it; a system or conda libcudnn earlier on"
          " LD_LIBRARY_PATH wins the same way.",
          "python -m pip show nvidia-cudnn-cu12 tensorflow torch; echo $LD_LIBRARY_PATH",
          'python -m pip install "tensorflow[and-cuda]==2.N.*" (TensorFlow\'s own cuDNN), a'
          " separate environment for a framework that pins another cuDNN major, and no"
          " libcudnn folders on LD_LIBRARY_PATH",
          ("cuda-wheels-mismatch/nvidia-cudnn-cu12", "cuda-wheels-mismatch/nvidia-cudnn-cu11",
           "cuda-library-shadowed", "cudnn-version-mismatch", "cuda-major-mismatch"),
          static=False, hints=(LOADED_CUDNN, r"(?i)\b(?:torch|pytorch|jax)\b"),
          sources=("https://github.com/tensorflow/tensorflow/issues/60913",
                   "https://github.com/Kaggle/docker-python/issues/1435",
                   "https://github.com/bmaltais/kohya_ss/issues/2787",
                   "https://github.com/apapiu/guided-diffusion-keras/issues/8")),
    Cause("cuda-libraries-missing", "TensorFlow's GPU build cannot find its CUDA libraries",
          "A TensorFlow GPU build dlopens cudart, cuBLAS, cuFFT, cuSOLVER, cuSPARSE and cuDNN"
          " at start-up and quietly runs on the CPU when one is missing ('Cannot dlopen some"
          " GPU libraries ... Skipping registering GPU devices'). TensorFlow 2.14+ on Linux gets"
          " them from its and-cuda extra (plain `pip install tensorflow` installs none);"
          " older releases need the exact CUDA and cuDNN of their tested build configuration"
          " installed on the system and on LD_LIBRARY_PATH.",
          "python -m pip list | grep -i nvidia-; python -c \"import tensorflow as tf;"
          " print(tf.sysconfig.get_build_info())\"",
          f'python -m pip install "tensorflow[and-cuda]==2.N.*" ({TF_PIP_LINUX}); for'
          f" TensorFlow < 2.14 the CUDA/cuDNN versions of {TF_BUILD_TABLE}",
          ("cuda-wheels-missing-some", "gpu-libraries-missing"), static=False,
          hints=(r"dlerror: \S+: cannot open shared object file",),
          sources=("https://github.com/tensorflow/tensorflow/issues/60646",
                   "https://github.com/tensorflow/tensorflow/issues/63362",
                   "https://github.com/tensorflow/tensorflow/issues/34287",
                   "https://github.com/tensorflow/tensorflow/issues/45200")),
    Cause("nvidia-driver-missing", "No NVIDIA driver (or no GPU) is visible to the process",
          "TensorFlow loads libcuda.so.1, the NVIDIA driver's library, to find GPUs: without"
          " it ('Could not find cuda drivers on your machine') it runs on the CPU. The machine"
          " has no NVIDIA GPU, the driver is not installed, a container was started without"
          " the NVIDIA runtime (docker run --gpus all), or on WSL2 /usr/lib/wsl/lib is missing"
          " from the loader's path.",
          "nvidia-smi; cat /proc/driver/nvidia/version",
          "install the NVIDIA driver (https://www.nvidia.com/Download/index.aspx), start the"
          " container with --gpus all, or on WSL2 install the Windows NVIDIA driver",
          ("no-nvidia-driver", "gpu-no-driver"), static=False, personal=False,
          hints=(r"libcuda\.so", r"(?i)\b(?:docker|container|wsl2?)\b"),
          sources=("https://github.com/tensorflow/tensorflow/issues/66750",
                   "https://github.com/serengil/deepface/issues/739",
                   "https://github.com/voxel51/fiftyone/issues/3780")),
    Cause("cuda-visible-devices-hides-gpus", "CUDA_VISIBLE_DEVICES hides the GPUs",
          "CUDA_VISIBLE_DEVICES='' or '-1' (or an index the machine does not have), in the shell"
          " or set by the code before TensorFlow starts, leaves CUDA no device:"
          " 'failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected'.",
          "echo $CUDA_VISIBLE_DEVICES; grep -rn CUDA_VISIBLE_DEVICES .; nvidia-smi -L",
          "unset CUDA_VISIBLE_DEVICES, or set it to an index nvidia-smi -L lists (in the shell"
          " and in the code)", ("cuda-visible-devices-hides-all",), static=False,
          personal=False, hints=(r"CUDA_VISIBLE_DEVICES",),
          sources=("https://github.com/numba/numba/issues/5793",
                   "https://github.com/kuku-sichuan/FPN_Faster_RCNN/issues/3",
                   "https://github.com/endernewton/tf-faster-rcnn/issues/38")),
    Cause("nvidia-driver-not-initialised", "The NVIDIA driver is installed but cannot start"
          " CUDA",
          "cuInit answers CUDA_ERROR_UNKNOWN when the kernel module and the user-space driver"
          " differ (a driver update without a reboot: 'kernel version X does not match DSO"
          " version Y'), when nvidia_uvm is not loaded (often after suspend/resume), or when the"
          " user may not open /dev/nvidia* (it works with sudo).",
          "nvidia-smi; lsmod | grep nvidia_uvm; ls -l /dev/nvidia*",
          "reboot after a driver update, or load the module: sudo modprobe nvidia_uvm (Ubuntu:"
          " sudo apt-get install nvidia-modprobe)", ("gpu-cuinit-failed/cuda_error_unknown",),
          static=False, personal=False,
          hints=(r"does not match DSO version", r"(?i)\bsudo\b", r"(?i)suspend|resume"),
          sources=("https://github.com/tensorflow/tensorflow/issues/394",
                   "https://github.com/tensorflow/tensorflow/issues/32623",
                   "https://github.com/tensorflow/tensorflow/issues/41937")),
    Cause("nvidia-driver-too-old", "The NVIDIA driver is older than the CUDA runtime needs",
          "Each CUDA runtime needs a minimum driver (CUDA 12.x: >= 525.60.13 on Linux, CUDA"
          " 11.x: >= 450.80.02, with minor-version compatibility): TensorFlow's CUDA wheels"
          " bring a newer runtime than an old driver supports ('CUDA driver version is"
          " insufficient for CUDA runtime version').",
          "nvidia-smi --query-gpu=driver_version --format=csv,noheader",
          "update the NVIDIA driver to the version the scan names (a manual step)",
          ("nvidia-driver-too-old",), static=False, personal=False,
          sources=("https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html",
                   "https://github.com/tensorflow/tensorflow/issues/8526")),
    Cause("gpu-arch-unsupported", "The GPU's compute capability is not in TensorFlow's build",
          "PyPI TensorFlow wheels carry GPU kernels for a list of compute capabilities"
          " (tf.sysconfig.get_build_info()['cuda_compute_capabilities']). An older GPU below it"
          " fails with 'no kernel image is available for execution on the device'; a newer"
          " one gets kernels JIT-compiled from PTX at start-up (up to 30 minutes), or fails"
          " when the build has no PTX it can use.",
          "nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader",
          "a TensorFlow release built for this GPU generation (newer GPUs: a newer TensorFlow;"
          " older ones: the last release that listed them), or a build from source for it",
          ("gpu-compute-capability-jit",), static=False, personal=False,
          sources=("https://github.com/tensorflow/tensorflow/issues/42467",
                   "https://github.com/tensorflow/tensorflow/issues/46449",
                   "https://github.com/tensorflow/tensorflow/issues/62320",
                   "https://github.com/tensorflow/tensorflow/issues/97387")),
    Cause("tensorflow-cpu-only-build", "The installed TensorFlow cannot use an NVIDIA GPU",
          "tensorflow-cpu (and tensorflow-intel) are CPU-only builds; on native Windows no"
          " TensorFlow after 2.10 has GPU support (WSL2 does); macOS has no CUDA at all (Apple"
          " GPUs go through tensorflow-metal).",
          "python -c \"import tensorflow as tf; print(tf.sysconfig.get_build_info())\"",
          'on Linux or WSL2: python -m pip install "tensorflow[and-cuda]==2.N.*" in place of'
          " tensorflow-cpu; on native Windows: TensorFlow 2.10 or WSL2",
          ("cuda-wheels-beside-cpu-build", "tensorflow-windows-native-gpu", "macos-no-cuda"),
          static=False, personal=False,
          sources=("https://www.tensorflow.org/install/pip#windows-native",
                   "https://github.com/tensorflow/tensorflow/issues/36476")),
)

# ---------------------------------------------------------------- signatures

SIGNATURES: tuple[Signature, ...] = (
    Signature("cudnn-version-mismatch", (LOADED_CUDNN,),
              "TensorFlow loaded another cuDNN than it was built with",
              ("cudnn-mismatch", "cuda-libraries-missing"), priority=3,
              sources=("https://github.com/tensorflow/tensorflow/issues/60913",
                       "https://github.com/hfawaz/dl-4-tsc/issues/54")),
    Signature("dnn-library-not-found",
              (r"DNN library is not found", r"DNN library initialization failed"),
              "TensorFlow's GPU op could not use cuDNN: it is missing, or not the version"
              " TensorFlow was built with",
              ("cudnn-mismatch", "cuda-libraries-missing"), priority=2,
              sources=("https://github.com/googlecolab/colabtools/issues/3008",
                       "https://github.com/apapiu/guided-diffusion-keras/issues/8")),
    Signature("gpu-libraries-dlopen", (DLOPEN,),
              "TensorFlow could not load its CUDA libraries and skipped the GPU",
              ("cuda-libraries-missing", "cudnn-mismatch"), priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/60646",
                       "https://github.com/NVIDIA/tensorflow/issues/110")),
    Signature("cuda-library-not-loaded",
              (rf"Could not load dynamic library '(?P<lib>{_CUDA_LIBS}[\w.]*)'",
               rf"(?P<lib2>{_CUDA_LIBS}\w*\.so[\w.]*): cannot open shared object file",
               rf"Couldn't open CUDA library (?P<lib3>{_CUDA_LIBS}[\w.]*)",
               r"Unable to load cuDNN DSO"),
              "a CUDA library TensorFlow's GPU build needs is not on the loader's path",
              ("cuda-libraries-missing", "cudnn-mismatch"), priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/60854",
                       "https://github.com/tensorflow/tensorflow/issues/45200",
                       "https://github.com/tensorflow/tensorflow/issues/5591")),
    Signature("gpu-registration-skipped", (SKIPPED,),
              "TensorFlow saw a GPU but did not register it",
              ("cuda-libraries-missing", "cudnn-mismatch", "gpu-arch-unsupported"), priority=1,
              sources=("https://github.com/tensorflow/tensorflow/issues/49022",)),
    Signature("no-cuda-driver-gpu-expected",
              (NO_DRIVER + r"(?=[\s\S]{0,4000}?" + NO_GPU_SEEN + ")",
               r"Could not load dynamic library 'libcuda\.so(?:\.1)?'",
               r"libcuda\.so(?:\.1)?: cannot open shared object file"),
              "TensorFlow found no NVIDIA driver (libcuda), so it sees no GPU",
              ("nvidia-driver-missing", "tensorflow-cpu-only-build"), priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/66750",)),
    Signature("cuinit-no-device",
              (r"CUDA_ERROR_NO_DEVICE", r"no CUDA-capable device is detected"),
              "the NVIDIA driver answered but shows this process no GPU",
              ("cuda-visible-devices-hides-gpus", "nvidia-driver-missing"), priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/62494",
                       "https://github.com/numba/numba/issues/5793")),
    Signature("cuinit-unknown",
              (r"failed call to cuInit: (?:CUDA_ERROR_UNKNOWN|UNKNOWN ERROR \(\d+\))",
               r"kernel version [\d.]+ does not match DSO version [\d.]+"),
              "the NVIDIA driver could not initialise CUDA",
              ("nvidia-driver-not-initialised", "nvidia-driver-too-old"), priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/41937",
                       "https://github.com/tensorflow/tensorflow/issues/32623")),
    Signature("cuda-driver-insufficient",
              (r"CUDA driver version is insufficient for CUDA runtime version",
               r"CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"),
              "the NVIDIA driver is older than the CUDA runtime TensorFlow loaded",
              ("nvidia-driver-too-old",), priority=3,
              sources=("https://github.com/tensorflow/tensorflow/issues/8526",)),
    Signature("gpu-arch-not-in-build",
              (JIT, r"no kernel image is available for execution on the device",
               r"The minimum required Cuda capability is \d+\.\d+"),
              "TensorFlow's build has no GPU kernels for this GPU's compute capability",
              ("gpu-arch-unsupported",), priority=3,
              sources=("https://github.com/tensorflow/tensorflow/issues/42467",
                       "https://github.com/tensorflow/tensorflow/issues/62320")),
)
