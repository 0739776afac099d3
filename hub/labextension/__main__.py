"""Print the JupyterLab core package file the extension is built against."""

from hub.labextension import core_package_file

print(core_package_file())
