"""Names that only exist in some hosts (IPython, Android), used the way rich and platformdirs do."""

from typing import cast


def in_ipython() -> bool:
    try:
        get_ipython
    except NameError:
        return False
    shell = get_ipython()  # defined by IPython as a builtin
    return shell is not None


def android_files_dir() -> object:
    try:
        from android import mActivity

        return cast("android.content.Context", mActivity.getApplicationContext())
    except Exception:
        return None


def demo_traceback() -> object:
    try:
        missing_on_purpose  # noqa: F821
    except Exception:
        pass
    return injected_by_host()  # noqa: F821  (the embedding application defines it)
