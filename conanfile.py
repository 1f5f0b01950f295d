# SPDX-License-Identifier: BSL-1.0
from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import cmake_layout
from conan.tools.files import copy
import os


class TesseraConan(ConanFile):
    name = "tessera"
    version = "0.1.0"
    license = "BSL-1.0"
    description = "Header-only, policy-templated C++20 authentication toolkit: sessions, JWT, refresh tokens"
    topics = ("authentication", "jwt", "sessions", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"with_sqlite": [True, False], "with_redis": [True, False], "with_postgres": [True, False],
               "with_curl": [True, False]}
    default_options = {"with_sqlite": True, "with_redis": False, "with_postgres": False, "with_curl": False}
    exports_sources = "include/*", "LICENSE"
    no_copy_source = True

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        self.requires("boost/[>=1.81]")
        self.requires("botan/[>=2.19 <4]")
        if self.options.with_sqlite:
            self.requires("sqlite3/[>=3.35]")
        if self.options.with_redis:
            self.requires("hiredis/[>=0.14]")
        if self.options.with_postgres:
            self.requires("libpq/[>=12]")
        if self.options.with_curl:
            self.requires("libcurl/[>=7.85]")

    def validate(self):
        check_min_cppstd(self, 20)
        if self.settings.os == "Windows":
            raise ConanInvalidConfiguration("tessera is tested on Linux only")

    def package_id(self):
        # Headers only: one package for every configuration.
        self.info.clear()

    def package(self):
        copy(self, "*.hpp", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "tessera")
        self.cpp_info.set_property("pkg_config_name", "tessera")
        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "tessera::tessera")
        core.requires = ["boost::json", "botan::botan"]
        core.bindirs = []
        core.libdirs = []
        # The Beast adapter needs nothing beyond Boost, which the core requires already.
        beast = self.cpp_info.components["beast"]
        beast.set_property("cmake_target_name", "tessera::beast")
        beast.set_property("pkg_config_name", "tessera-beast")
        beast.requires = ["core", "boost::headers"]
        beast.system_libs = ["pthread"]
        beast.bindirs = []
        beast.libdirs = []
        for option, name, requirement in (("with_sqlite", "sqlite", "sqlite3::sqlite3"),
                                          ("with_redis", "redis", "hiredis::hiredis"),
                                          ("with_postgres", "postgres", "libpq::libpq"),
                                          ("with_curl", "curl", "libcurl::libcurl")):
            if self.options.get_safe(option):
                component = self.cpp_info.components[name]
                component.set_property("cmake_target_name", f"tessera::{name}")
                component.set_property("pkg_config_name", f"tessera-{name}")
                component.requires = ["core", requirement]
                component.bindirs = []
                component.libdirs = []
