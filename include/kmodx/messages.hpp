// SPDX-License-Identifier: LGPL-2.1-or-later
// The one place that words insert/remove failures the way kmod 30's tools
// do. Each function returns the message body that follows "PROG: ERROR: ",
// newline included, ready for KMODX_ERR("%s", ...). Only these texts are
// compared by the differential tests: change them only to follow kmod.
#pragma once

#include <kmodx/compression.hpp>
#include <kmodx/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kmodx::messages {

enum class Tool { Modprobe, Insmod, Rmmod };

// Why an insertion failed, as the tool says it (errno is positive).
//   modprobe: EEXIST "Module already in kernel", ENOENT "Unknown symbol in
//             module, or unknown parameter (see dmesg)", else strerror
//   insmod:   ENOEXEC "Invalid module format", ENOENT "Unknown symbol in
//             module", ESRCH "Module has wrong symbol version", EINVAL
//             "Invalid parameters", else strerror
// rmmod never inserts: strerror.
std::string insert_reason(Tool tool, int err);

// Removal failures are always strerror (kmod has no special wording).
std::string remove_reason(Tool tool, int err);

// modprobe: "could not insert 'NAME': REASON\n"
// insmod:   "could not insert module PATH: REASON\n"
std::string insert_failed(Tool tool, std::string_view module, int err);

// modprobe -r: "could not remove 'NAME': REASON\n"
// rmmod:       "could not remove module ARG: REASON\n"
std::string remove_failed(Tool tool, std::string_view module, int err);

// Why a removal was refused before calling the kernel.
enum class Refusal { Builtin, NotLoaded, InUse };

// rmmod:       "Module X is builtin.\n", "Module X is not currently loaded\n",
//              "Module X is in use\n" or, with holders, "Module X is in use by: a b\n"
// modprobe -r: "Module X is builtin.\n", "Module X is not in kernel.\n",
//              "Module X is in use.\n" (modprobe never lists holders)
std::string removal_refused(Tool tool, Refusal why, std::string_view module,
                            const std::vector<std::string>& holders = {});

// Debian 12's kmod 30 is built with debug logging, so messages logged by
// libkmod itself (not by the tool) carry their source location in front;
// Debian 13's kmod 34.2 is not, and kmod34 builds leave it out. libkmod's
// line for a failed delete_module, worded like modprobe's:
// "../libkmod/libkmod-module.c:856 kmod_module_remove_module() could not remove 'NAME': REASON\n"
std::string libkmod_remove_failed(std::string_view module, int err);

// The errno kmod 30 reports for a load failure. Its decompressors answer
// EINVAL (xz) or ENOEXEC (zstd; gzip it cannot read, so the kernel says
// ENOEXEC) where kmodx's say EBADMSG (corrupt) or EFBIG (a bomb); errors from
// the kernel (context "finit_module"/"init_module") and plain files pass through.
// kmod 34.2 (kmod34 builds) answers EINVAL for every decompression failure.
int load_errno(const Error& e, Compression format);

// modprobe's lookups: "Module NAME not found.\n",
// "Module NAME not found in directory DIR\n"
std::string module_not_found(std::string_view name);
std::string module_not_found_in(std::string_view name, std::string_view dir);

// modprobe -r: "Error running remove command for MODULE\n"
std::string remove_command_failed(std::string_view module);

// libkmod's install-command failures, after
// "../libkmod/libkmod-module.c:1047 command_do() ":
// "Could not run install command 'CMD' for module NAME: STRERROR\n",
// "Error running install command 'CMD' for module NAME: retcode N\n"
std::string install_command_unrunnable(std::string_view command, std::string_view module, int err);
std::string install_command_failed(std::string_view command, std::string_view module, int retcode);

// What modprobe could not read of a module (err positive):
// "could not get softdeps of 'NAME': STRERROR\n",
// "could not get modversions of FILE: STRERROR\n",
// "could not get symbols of FILE: STRERROR\n"
enum class ModuleFact { Softdeps, Modversions, Symbols };
std::string fact_unavailable(ModuleFact what, std::string_view module, int err);

// kmod's tools exit 0 or 1, never the errno.
inline int exit_status(bool ok) { return ok ? 0 : 1; }

}  // namespace kmodx::messages
