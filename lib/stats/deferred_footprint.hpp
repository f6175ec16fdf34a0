// SPDX-License-Identifier: LGPL-2.1-or-later
// The footprint of a module the kernel decompressed, left for later.
//
// A module's kernel memory (footprint.hpp) is read from its ELF. When the
// kernel decompresses the file itself (finit_module with
// MODULE_INIT_COMPRESSED_FILE), kmodx never holds that ELF, and decompressing
// it only to size the event cost the loading process more than the load (on
// Debian 13's .ko.xz tree, 7.7 of 12.5 ms for ceph and its dependencies),
// while every waiter for the module waited. So such a `loaded` event is
// recorded without its footprint (module_bytes and text_bytes 0), and the
// footprint is filled in off the boot path: when this boot's store is
// reported (modprobe --stats) or archived (kmodx-stats-archive.service, at
// boot and at shutdown), from the module file that the running kernel's
// modules.dep names, if its size is still the one the event recorded.
#pragma once

#include <kmodx/stats.hpp>

#include <string>
#include <vector>

namespace kmodx::stats {

// A `loaded` event whose module the kernel decompressed, footprint not yet known.
bool footprint_deferred(const Event& e);

// Fills in the footprint of every deferred event of EVENTS from the modules
// under MODULE_DIR (its modules.dep.bin): the module's figures times the
// event's count (a compacted record stands for COUNT loads). An event whose
// module cannot be found, has another size now, or does not parse stays as it
// is. Each module file is decompressed once per call.
void fill_deferred_footprints(std::vector<Event>& events, const std::string& module_dir);

// /lib/modules/RELEASE of the running kernel; empty when uname() fails.
std::string running_module_dir();

}  // namespace kmodx::stats
