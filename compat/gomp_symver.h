/*
 * gomp_symver.h - the libgomp names of the omp_* API. gcc-built programs ask for
 * omp_get_thread_num@OMP_1.0, omp_set_lock@OMP_3.0 and so on (the node where libgomp first
 * exported each function; the lock functions also exist under OMP_1.0 for programs built
 * before OpenMP 3.0, whose lock objects are no bigger than today's). The default version of
 * each function stays VERSION (exports.map), which clang-built programs ask for; the lines
 * below add an alias per libgomp version, bound with .symver.
 *
 * An alias must be defined in the translation unit of its target, so each file that defines
 * omp_* functions includes this header at its end with its KMPX_SYMVER_* macro defined.
 * The table was taken from the symbol versions of Debian's libgomp.so.1 (gcc 12); test
 * compat.gomp_versions checks it against the libgomp installed on the machine.
 */
#define KMPX_SYMVER(fn, tag, ver)                                                          \
    extern __typeof(fn) kmpx_symver_##fn##_##tag                                           \
        __attribute__((alias(#fn), visibility("default")));                                \
    __asm__(".symver kmpx_symver_" #fn "_" #tag ", " #fn "@" ver)
/* The default version, named here too: with an extra version of the same name in the
 * object, the linker no longer gives the plain name the version script's node. */
#define KMPX_SYMVER_DEFAULT(fn) __asm__(".symver " #fn ", " #fn "@@@VERSION")
#ifdef KMPX_SYMVER_OMP_API
KMPX_SYMVER_DEFAULT(omp_aligned_alloc);
KMPX_SYMVER(omp_aligned_alloc, v5_0_2, "OMP_5.0.2");
KMPX_SYMVER_DEFAULT(omp_aligned_calloc);
KMPX_SYMVER(omp_aligned_calloc, v5_0_2, "OMP_5.0.2");
KMPX_SYMVER_DEFAULT(omp_alloc);
KMPX_SYMVER(omp_alloc, v5_0_1, "OMP_5.0.1");
KMPX_SYMVER_DEFAULT(omp_calloc);
KMPX_SYMVER(omp_calloc, v5_0_2, "OMP_5.0.2");
KMPX_SYMVER_DEFAULT(omp_capture_affinity);
KMPX_SYMVER(omp_capture_affinity, v5_0, "OMP_5.0");
KMPX_SYMVER_DEFAULT(omp_destroy_allocator);
KMPX_SYMVER(omp_destroy_allocator, v5_0_1, "OMP_5.0.1");
KMPX_SYMVER_DEFAULT(omp_display_affinity);
KMPX_SYMVER(omp_display_affinity, v5_0, "OMP_5.0");
KMPX_SYMVER_DEFAULT(omp_display_env);
KMPX_SYMVER(omp_display_env, v5_1, "OMP_5.1");
KMPX_SYMVER_DEFAULT(omp_free);
KMPX_SYMVER(omp_free, v5_0_1, "OMP_5.0.1");
KMPX_SYMVER_DEFAULT(omp_get_active_level);
KMPX_SYMVER(omp_get_active_level, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_get_affinity_format);
KMPX_SYMVER(omp_get_affinity_format, v5_0, "OMP_5.0");
KMPX_SYMVER_DEFAULT(omp_get_ancestor_thread_num);
KMPX_SYMVER(omp_get_ancestor_thread_num, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_get_cancellation);
KMPX_SYMVER(omp_get_cancellation, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_get_default_allocator);
KMPX_SYMVER(omp_get_default_allocator, v5_0_1, "OMP_5.0.1");
KMPX_SYMVER_DEFAULT(omp_get_default_device);
KMPX_SYMVER(omp_get_default_device, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_get_device_num);
KMPX_SYMVER(omp_get_device_num, v5_0_2, "OMP_5.0.2");
KMPX_SYMVER_DEFAULT(omp_get_dynamic);
KMPX_SYMVER(omp_get_dynamic, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_get_initial_device);
KMPX_SYMVER(omp_get_initial_device, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_level);
KMPX_SYMVER(omp_get_level, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_get_max_active_levels);
KMPX_SYMVER(omp_get_max_active_levels, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_get_max_task_priority);
KMPX_SYMVER(omp_get_max_task_priority, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_max_teams);
KMPX_SYMVER(omp_get_max_teams, v5_1, "OMP_5.1");
KMPX_SYMVER_DEFAULT(omp_get_max_threads);
KMPX_SYMVER(omp_get_max_threads, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_get_nested);
KMPX_SYMVER(omp_get_nested, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_get_num_devices);
KMPX_SYMVER(omp_get_num_devices, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_get_num_places);
KMPX_SYMVER(omp_get_num_places, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_num_procs);
KMPX_SYMVER(omp_get_num_procs, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_get_num_teams);
KMPX_SYMVER(omp_get_num_teams, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_get_num_threads);
KMPX_SYMVER(omp_get_num_threads, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_get_partition_num_places);
KMPX_SYMVER(omp_get_partition_num_places, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_partition_place_nums);
KMPX_SYMVER(omp_get_partition_place_nums, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_place_num);
KMPX_SYMVER(omp_get_place_num, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_place_num_procs);
KMPX_SYMVER(omp_get_place_num_procs, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_place_proc_ids);
KMPX_SYMVER(omp_get_place_proc_ids, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_get_proc_bind);
KMPX_SYMVER(omp_get_proc_bind, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_get_schedule);
KMPX_SYMVER(omp_get_schedule, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_get_supported_active_levels);
KMPX_SYMVER(omp_get_supported_active_levels, v5_0_1, "OMP_5.0.1");
KMPX_SYMVER_DEFAULT(omp_get_team_num);
KMPX_SYMVER(omp_get_team_num, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_get_team_size);
KMPX_SYMVER(omp_get_team_size, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_get_teams_thread_limit);
KMPX_SYMVER(omp_get_teams_thread_limit, v5_1, "OMP_5.1");
KMPX_SYMVER_DEFAULT(omp_get_thread_limit);
KMPX_SYMVER(omp_get_thread_limit, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_get_thread_num);
KMPX_SYMVER(omp_get_thread_num, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_get_wtick);
KMPX_SYMVER(omp_get_wtick, v2_0, "OMP_2.0");
KMPX_SYMVER_DEFAULT(omp_get_wtime);
KMPX_SYMVER(omp_get_wtime, v2_0, "OMP_2.0");
KMPX_SYMVER_DEFAULT(omp_in_final);
KMPX_SYMVER(omp_in_final, v3_1, "OMP_3.1");
KMPX_SYMVER_DEFAULT(omp_in_parallel);
KMPX_SYMVER(omp_in_parallel, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_init_allocator);
KMPX_SYMVER(omp_init_allocator, v5_0_1, "OMP_5.0.1");
KMPX_SYMVER_DEFAULT(omp_is_initial_device);
KMPX_SYMVER(omp_is_initial_device, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_pause_resource);
KMPX_SYMVER(omp_pause_resource, v5_0, "OMP_5.0");
KMPX_SYMVER_DEFAULT(omp_pause_resource_all);
KMPX_SYMVER(omp_pause_resource_all, v5_0, "OMP_5.0");
KMPX_SYMVER_DEFAULT(omp_realloc);
KMPX_SYMVER(omp_realloc, v5_0_2, "OMP_5.0.2");
KMPX_SYMVER_DEFAULT(omp_set_affinity_format);
KMPX_SYMVER(omp_set_affinity_format, v5_0, "OMP_5.0");
KMPX_SYMVER_DEFAULT(omp_set_default_allocator);
KMPX_SYMVER(omp_set_default_allocator, v5_0_1, "OMP_5.0.1");
KMPX_SYMVER_DEFAULT(omp_set_default_device);
KMPX_SYMVER(omp_set_default_device, v4_0, "OMP_4.0");
KMPX_SYMVER_DEFAULT(omp_set_dynamic);
KMPX_SYMVER(omp_set_dynamic, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_set_max_active_levels);
KMPX_SYMVER(omp_set_max_active_levels, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_set_nested);
KMPX_SYMVER(omp_set_nested, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_set_num_teams);
KMPX_SYMVER(omp_set_num_teams, v5_1, "OMP_5.1");
KMPX_SYMVER_DEFAULT(omp_set_num_threads);
KMPX_SYMVER(omp_set_num_threads, v1_0, "OMP_1.0");
KMPX_SYMVER_DEFAULT(omp_set_schedule);
KMPX_SYMVER(omp_set_schedule, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_set_teams_thread_limit);
KMPX_SYMVER(omp_set_teams_thread_limit, v5_1, "OMP_5.1");
KMPX_SYMVER_DEFAULT(omp_target_alloc);
KMPX_SYMVER(omp_target_alloc, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_target_associate_ptr);
KMPX_SYMVER(omp_target_associate_ptr, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_target_disassociate_ptr);
KMPX_SYMVER(omp_target_disassociate_ptr, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_target_free);
KMPX_SYMVER(omp_target_free, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_target_is_present);
KMPX_SYMVER(omp_target_is_present, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_target_memcpy);
KMPX_SYMVER(omp_target_memcpy, v4_5, "OMP_4.5");
KMPX_SYMVER_DEFAULT(omp_target_memcpy_rect);
KMPX_SYMVER(omp_target_memcpy_rect, v4_5, "OMP_4.5");
#endif
#ifdef KMPX_SYMVER_OMP_LOCK
KMPX_SYMVER_DEFAULT(omp_destroy_lock);
KMPX_SYMVER(omp_destroy_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_destroy_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_destroy_nest_lock);
KMPX_SYMVER(omp_destroy_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_destroy_nest_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_init_lock);
KMPX_SYMVER(omp_init_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_init_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_init_nest_lock);
KMPX_SYMVER(omp_init_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_init_nest_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_set_lock);
KMPX_SYMVER(omp_set_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_set_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_set_nest_lock);
KMPX_SYMVER(omp_set_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_set_nest_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_test_lock);
KMPX_SYMVER(omp_test_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_test_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_test_nest_lock);
KMPX_SYMVER(omp_test_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_test_nest_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_unset_lock);
KMPX_SYMVER(omp_unset_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_unset_lock, v3_0, "OMP_3.0");
KMPX_SYMVER_DEFAULT(omp_unset_nest_lock);
KMPX_SYMVER(omp_unset_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_unset_nest_lock, v3_0, "OMP_3.0");
#endif
#ifdef KMPX_SYMVER_KMP_TASK
KMPX_SYMVER_DEFAULT(omp_fulfill_event);
KMPX_SYMVER(omp_fulfill_event, v5_0_1, "OMP_5.0.1");
#endif
