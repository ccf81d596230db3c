/* SPDX-License-Identifier: MIT */
/*
 * Prints the size and field offsets of the public structs that the Python
 * binding (bindings/python) declares again with ctypes, one line each:
 *   struct NAME SIZE
 *   field NAME.FIELD OFFSET
 * The binding's tests compare them with ctypes, so a change to a struct in
 * hotlist.h that the binding does not follow fails a test.
 */
#include <hotlist.h>

#include <stddef.h>
#include <stdio.h>

#define S(t) printf("struct %s %zu\n", #t, sizeof(struct hotlist_##t))
#define F(t, f) printf("field %s.%s %zu\n", #t, #f, offsetof(struct hotlist_##t, f))

int main(void)
{
	S(read);
	F(read, plate), F(read, country), F(read, camera), F(read, ts_us), F(read, opaque);
	F(read, candidates), F(read, n_candidates), F(read, struct_size);
	F(read, uuid), F(read, site), F(read, confidence);
	S(entry);
	F(entry, plate), F(entry, country), F(entry, category), F(entry, reference);
	F(entry, priority), F(entry, struct_size), F(entry, valid_from_us), F(entry, expires_us),
		F(entry, covert);
	F(entry, id), F(entry, attrs), F(entry, n_attrs);
	S(hit);
	F(hit, read), F(hit, read_plate), F(hit, read_country), F(hit, list);
	F(hit, list_version), F(hit, plate), F(hit, entry_plate), F(hit, country);
	F(hit, category), F(hit, reference), F(hit, priority), F(hit, covert);
	F(hit, valid_from_us), F(hit, expires_us), F(hit, match), F(hit, substitutions);
	F(hit, indels), F(hit, candidate), F(hit, repaired), F(hit, format);
	F(hit, score), F(hit, weak);
	F(hit, entry_id), F(hit, hit_id), F(hit, attrs), F(hit, n_attrs);
	F(hit, retro), F(hit, second_read);
	S(config);
	F(config, struct_size), F(config, workers), F(config, queue_capacity);
	F(config, backpressure), F(config, on_hit), F(config, on_hit_user);
	F(config, suppress_window_us), F(config, max_bad_fraction), F(config, allocator);
	F(config, latency_histogram), F(config, shrink_guard), F(config, on_audit),
		F(config, on_audit_user);
	F(config, retro_window_us), F(config, retro_max_reads);
	F(config, second_read_window_us), F(config, second_read_any_camera),
		F(config, second_read_max);
	F(config, build_threads);
	S(row_error);
	F(row_error, line), F(row_error, code), F(row_error, reason);
	S(load_report);
	F(load_report, struct_size), F(load_report, rows), F(load_report, loaded);
	F(load_report, rejected), F(load_report, duplicates), F(load_report, list_version);
	F(load_report, duration_us), F(load_report, n_errors), F(load_report, errors);
	F(load_report, innocent_hits_per_1000), F(load_report, innocent_alerts_per_1000);
	F(load_report, alert_rate_warning);
	F(load_report, expired), F(load_report, not_yet_valid), F(load_report, live_entries);
	S(list_options);
	F(list_options, struct_size), F(list_options, ocr_substitutions);
	F(list_options, indels), F(list_options, ocr_classes), F(list_options, cross_border);
	F(list_options, repair), F(list_options, min_score), F(list_options, weak_hits);
	F(list_options, target_alerts_per_1000);
	F(list_options, cameras), F(list_options, days), F(list_options, hours);
	F(list_options, timezone);
	S(list_info);
	F(list_info, struct_size), F(list_info, name), F(list_info, version), F(list_info, entries);
	F(list_info, pending_edits), F(list_info, index_bytes), F(list_info, memory_bytes);
	F(list_info, updated_us), F(list_info, innocent_hits_per_1000);
	F(list_info, innocent_alerts_per_1000), F(list_info, mode_alerts_per_1000);
	F(list_info, min_score), F(list_info, alert_rate_warning);
	S(latency);
	F(latency, count), F(latency, p50_ns), F(latency, p90_ns), F(latency, p99_ns);
	F(latency, p999_ns), F(latency, p9999_ns), F(latency, max_ns);
	S(stats);
	F(stats, struct_size), F(stats, reads), F(stats, bad_reads), F(stats, hits);
	F(stats, hits_exact), F(stats, suppressed), F(stats, not_valid), F(stats, submitted);
	F(stats, refused), F(stats, pending), F(stats, reloads), F(stats, reload_failures);
	F(stats, edits), F(stats, reload_last_us), F(stats, reload_max_us);
	F(stats, reload_total_us), F(stats, lists), F(stats, entries), F(stats, index_bytes);
	F(stats, memory_bytes), F(stats, inline_latency), F(stats, async_latency);
	F(stats, fuzzy_weak_suppressed), F(stats, fuzzy_weak);
	F(stats, retired_versions), F(stats, retired_heavy), F(stats, retired_heavy_max);
	F(stats, reclaim_waits), F(stats, retro_kept), F(stats, retro_hits);
	F(stats, fuzzy_second_read);
	F(stats, recycled_bytes), F(stats, recycled_blocks);
	return 0;
}
