// The one place that words insert/remove failures the way kmod 30's tools
// do. Each function returns the message body that follows "PROG: ERROR: ",
// newline included, ready for KMODX_ERR("%s", ...). Only these texts are
// compared by the differential tests: change them only to follow kmod.
#pragma once

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

// kmod's tools exit 0 or 1, never the errno.
inline int exit_status(bool ok) { return ok ? 0 : 1; }

}  // namespace kmodx::messages
