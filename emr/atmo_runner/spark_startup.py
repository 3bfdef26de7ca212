"""Run by the notebook's kernel at start-up (``PYTHONSTARTUP``): gives the notebook ``spark`` and ``sc``.

Both are created on first use, so a notebook that never touches Spark does not
wait for a JVM. The master is the cluster's (YARN, from EMR's spark-defaults) unless
``ATMO_SPARK_MASTER`` names another (``local[2]`` in the local emulator). Where Java
is missing, the first use fails with :data:`NO_JAVA`, which becomes the run's reason.
"""

import os
import shutil

NO_JAVA = "Spark is not available locally: install a Java 17 runtime"


def _java_available() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK):
        return True
    return shutil.which("java") is not None


def _start_session():
    if not _java_available():
        raise RuntimeError(NO_JAVA)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(os.environ.get("ATMO_JOB_IDENTIFIER") or "atmo-notebook")
    master = os.environ.get("ATMO_SPARK_MASTER")
    if master:
        # No web UI nor console progress bar: nobody watches a local batch run.
        builder = builder.master(master).config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        # A handful of cores: Spark's 200 shuffle partitions would be 200 tiny tasks each.
        builder = builder.config("spark.sql.shuffle.partitions", "4")
    try:
        return builder.getOrCreate()
    except Exception as exc:
        if "JAVA_GATEWAY" in str(exc) or "Java gateway" in str(exc):
            raise RuntimeError(NO_JAVA) from exc
        raise


class _LazySpark:
    """Stands in for ``spark`` (or ``sc``) until first used; then the real object takes its name."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _resolve(self):
        session = _start_session()
        value = session if self._name == "spark" else session.sparkContext
        try:
            namespace = get_ipython().user_ns  # noqa: F821 (defined inside IPython kernels)
        except NameError:
            namespace = globals()
        namespace["spark"] = session
        namespace["sc"] = session.sparkContext
        return value

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(self._resolve(), attribute)

    def __repr__(self) -> str:
        return f"<{self._name}: started on first use>"


spark = _LazySpark("spark")
sc = _LazySpark("sc")
