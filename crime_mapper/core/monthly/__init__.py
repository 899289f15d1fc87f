"""The monthly release as one run: a configuration file, every step in order, one manifest.

- ``config``: the release configuration (TOML or JSON) and its checks;
- ``toml_lite``: TOML reading/writing that also works on Python 3.9 without tomllib;
- ``release``: runs load, anonymise, hotspots and publish from a configuration, stops at the
  first failure with the reason, and writes one manifest covering every step.
"""
