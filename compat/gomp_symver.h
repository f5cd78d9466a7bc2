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
 * The GOMP_* entry points, the other way round: their default is their libgomp node (what
 * gcc binaries ask for, and what a link against this library records), and libomp's
 * VERSION is an extra version, because libomp serves gcc's ABI too and exports GOMP_* there:
 * a binary linked by clang against libomp that holds gcc-built objects asks for
 * GOMP_parallel@VERSION.
 *
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
#define KMPX_SYMVER_DEFAULT_AT(fn, ver) __asm__(".symver " #fn ", " #fn "@@@" ver)
/* An omp_* function: VERSION by default, and its (first) libgomp node. */
#define KMPX_OMP_ENTRY(fn, tag, ver)                                                       \
    KMPX_SYMVER_DEFAULT(fn);                                                               \
    KMPX_SYMVER(fn, tag, ver)
/* A GOMP_* function: its libgomp node by default, and libomp's VERSION. */
#define KMPX_GOMP_ENTRY(fn, ver)                                                           \
    KMPX_SYMVER_DEFAULT_AT(fn, ver);                                                       \
    KMPX_SYMVER(fn, libomp, "VERSION")
#ifdef KMPX_SYMVER_OMP_ALLOC /* compat/omp_alloc.c */
KMPX_OMP_ENTRY(omp_aligned_alloc, v5_0_2, "OMP_5.0.2");
KMPX_OMP_ENTRY(omp_aligned_calloc, v5_0_2, "OMP_5.0.2");
KMPX_OMP_ENTRY(omp_alloc, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_calloc, v5_0_2, "OMP_5.0.2");
KMPX_OMP_ENTRY(omp_destroy_allocator, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_free, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_get_default_allocator, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_init_allocator, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_realloc, v5_0_2, "OMP_5.0.2");
KMPX_OMP_ENTRY(omp_set_default_allocator, v5_0_1, "OMP_5.0.1");
#endif
#ifdef KMPX_SYMVER_OMP_FORTRAN /* compat/omp_fortran.c */
KMPX_OMP_ENTRY(omp_capture_affinity_, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_destroy_allocator_, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_destroy_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_destroy_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_destroy_nest_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_destroy_nest_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_display_affinity_, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_display_env_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_display_env_8_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_fulfill_event_, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_get_active_level_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_affinity_format_, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_get_ancestor_thread_num_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_ancestor_thread_num_8_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_cancellation_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_default_allocator_, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_get_default_device_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_device_num_, v5_0_2, "OMP_5.0.2");
KMPX_OMP_ENTRY(omp_get_dynamic_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_initial_device_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_level_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_max_active_levels_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_max_task_priority_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_max_teams_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_get_max_threads_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_nested_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_num_devices_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_num_places_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_num_procs_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_num_teams_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_num_threads_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_partition_num_places_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_partition_place_nums_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_partition_place_nums_8_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_num_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_num_procs_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_num_procs_8_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_proc_ids_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_proc_ids_8_, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_proc_bind_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_schedule_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_schedule_8_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_supported_active_levels_, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_get_team_num_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_team_size_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_team_size_8_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_teams_thread_limit_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_get_thread_limit_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_thread_num_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_wtick_, v2_0, "OMP_2.0");
KMPX_OMP_ENTRY(omp_get_wtime_, v2_0, "OMP_2.0");
KMPX_OMP_ENTRY(omp_in_final_, v3_1, "OMP_3.1");
KMPX_OMP_ENTRY(omp_in_parallel_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_init_allocator_, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_init_allocator_8_, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_init_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_init_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_init_nest_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_init_nest_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_is_initial_device_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_pause_resource_, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_pause_resource_all_, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_set_affinity_format_, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_set_default_allocator_, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_set_default_device_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_set_default_device_8_, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_set_dynamic_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_dynamic_8_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_set_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_max_active_levels_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_max_active_levels_8_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_nest_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_set_nest_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_nested_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_nested_8_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_num_teams_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_set_num_teams_8_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_set_num_threads_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_num_threads_8_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_schedule_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_schedule_8_, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_teams_thread_limit_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_set_teams_thread_limit_8_, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_test_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_test_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_test_nest_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_test_nest_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_unset_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_unset_lock_, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_unset_nest_lock_, v3_0, "OMP_3.0");
KMPX_SYMVER(omp_unset_nest_lock_, v1_0, "OMP_1.0");
#endif
#ifdef KMPX_SYMVER_OMP_API
KMPX_OMP_ENTRY(omp_capture_affinity, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_display_affinity, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_display_env, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_get_active_level, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_affinity_format, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_get_ancestor_thread_num, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_cancellation, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_default_device, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_device_num, v5_0_2, "OMP_5.0.2");
KMPX_OMP_ENTRY(omp_get_dynamic, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_initial_device, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_level, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_max_active_levels, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_max_task_priority, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_max_teams, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_get_max_threads, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_nested, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_num_devices, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_num_places, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_num_procs, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_num_teams, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_num_threads, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_partition_num_places, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_partition_place_nums, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_num, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_num_procs, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_place_proc_ids, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_get_proc_bind, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_schedule, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_supported_active_levels, v5_0_1, "OMP_5.0.1");
KMPX_OMP_ENTRY(omp_get_team_num, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_get_team_size, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_teams_thread_limit, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_get_thread_limit, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_get_thread_num, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_get_wtick, v2_0, "OMP_2.0");
KMPX_OMP_ENTRY(omp_get_wtime, v2_0, "OMP_2.0");
KMPX_OMP_ENTRY(omp_in_final, v3_1, "OMP_3.1");
KMPX_OMP_ENTRY(omp_in_parallel, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_is_initial_device, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_pause_resource, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_pause_resource_all, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_set_affinity_format, v5_0, "OMP_5.0");
KMPX_OMP_ENTRY(omp_set_default_device, v4_0, "OMP_4.0");
KMPX_OMP_ENTRY(omp_set_dynamic, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_max_active_levels, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_nested, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_num_teams, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_set_num_threads, v1_0, "OMP_1.0");
KMPX_OMP_ENTRY(omp_set_schedule, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_teams_thread_limit, v5_1, "OMP_5.1");
KMPX_OMP_ENTRY(omp_target_alloc, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_target_associate_ptr, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_target_disassociate_ptr, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_target_free, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_target_is_present, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_target_memcpy, v4_5, "OMP_4.5");
KMPX_OMP_ENTRY(omp_target_memcpy_rect, v4_5, "OMP_4.5");
#endif
#ifdef KMPX_SYMVER_OMP_LOCK
KMPX_OMP_ENTRY(omp_destroy_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_destroy_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_destroy_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_destroy_nest_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_init_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_init_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_init_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_init_nest_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_set_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_set_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_set_nest_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_test_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_test_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_test_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_test_nest_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_unset_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_unset_lock, v3_0, "OMP_3.0");
KMPX_OMP_ENTRY(omp_unset_nest_lock, v1_0, "OMP_1.0");
KMPX_SYMVER(omp_unset_nest_lock, v3_0, "OMP_3.0");
#endif
#ifdef KMPX_SYMVER_KMP_TASK
KMPX_OMP_ENTRY(omp_fulfill_event, v5_0_1, "OMP_5.0.1");
#endif
#ifdef KMPX_SYMVER_GOMP_PARALLEL
KMPX_GOMP_ENTRY(GOMP_alloc, "GOMP_5.0.1");
KMPX_GOMP_ENTRY(GOMP_atomic_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_atomic_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_barrier, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_barrier_cancel, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_cancel, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_cancellation_point, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_critical_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_critical_name_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_critical_name_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_critical_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_error, "GOMP_5.1");
KMPX_GOMP_ENTRY(GOMP_free, "GOMP_5.0.1");
KMPX_GOMP_ENTRY(GOMP_parallel, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_parallel_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_parallel_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_single_copy_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_single_copy_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_single_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_teams_reg, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_warning, "GOMP_5.1");
#endif
#ifdef KMPX_SYMVER_GOMP_LOOP
KMPX_GOMP_ENTRY(GOMP_parallel_loop_dynamic_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_guided_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_runtime_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_static_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_parallel_sections_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_doacross_post, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_doacross_ull_post, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_doacross_ull_wait, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_doacross_wait, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_doacross_dynamic_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_doacross_guided_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_doacross_runtime_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_doacross_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_doacross_static_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_dynamic_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_dynamic_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_end_cancel, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_loop_end_nowait, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_guided_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_guided_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_maybe_nonmonotonic_runtime_next, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_maybe_nonmonotonic_runtime_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_nonmonotonic_dynamic_next, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_nonmonotonic_dynamic_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_nonmonotonic_guided_next, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_nonmonotonic_guided_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_nonmonotonic_runtime_next, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_nonmonotonic_runtime_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_dynamic_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_dynamic_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_guided_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_guided_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_runtime_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_runtime_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_static_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ordered_static_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_runtime_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_runtime_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_static_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_static_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_doacross_dynamic_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_doacross_guided_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_doacross_runtime_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_doacross_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_doacross_static_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_dynamic_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_dynamic_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_guided_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_guided_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_maybe_nonmonotonic_runtime_next, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_maybe_nonmonotonic_runtime_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_nonmonotonic_dynamic_next, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_nonmonotonic_dynamic_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_nonmonotonic_guided_next, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_nonmonotonic_guided_start, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_loop_ull_nonmonotonic_runtime_next, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_nonmonotonic_runtime_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_dynamic_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_dynamic_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_guided_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_guided_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_runtime_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_runtime_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_static_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_ordered_static_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_runtime_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_runtime_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_static_next, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_loop_ull_static_start, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_ordered_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_ordered_start, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_dynamic, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_guided, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_maybe_nonmonotonic_runtime, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_nonmonotonic_dynamic, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_nonmonotonic_guided, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_nonmonotonic_runtime, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_runtime, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_parallel_loop_static, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_parallel_sections, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_sections2_start, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_sections_end, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_sections_end_cancel, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_sections_end_nowait, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_sections_next, "GOMP_1.0");
KMPX_GOMP_ENTRY(GOMP_sections_start, "GOMP_1.0");
#endif
#ifdef KMPX_SYMVER_GOMP_TASK
KMPX_GOMP_ENTRY(GOMP_parallel_reductions, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_scope_start, "GOMP_5.1");
KMPX_GOMP_ENTRY(GOMP_task, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_task_reduction_remap, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_taskgroup_end, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_taskgroup_reduction_register, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_taskgroup_reduction_unregister, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_taskgroup_start, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_taskloop, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_taskloop_ull, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_taskwait, "GOMP_2.0");
KMPX_GOMP_ENTRY(GOMP_taskwait_depend, "GOMP_5.0");
KMPX_GOMP_ENTRY(GOMP_taskyield, "GOMP_3.0");
KMPX_GOMP_ENTRY(GOMP_workshare_task_reduction_unregister, "GOMP_5.0");
#endif
#ifdef KMPX_SYMVER_GOMP_TARGET
KMPX_GOMP_ENTRY(GOMP_offload_register, "GOMP_4.0.1");
KMPX_GOMP_ENTRY(GOMP_offload_register_ver, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_offload_unregister, "GOMP_4.0.1");
KMPX_GOMP_ENTRY(GOMP_offload_unregister_ver, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_target, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_target_data, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_target_data_ext, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_target_end_data, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_target_enter_exit_data, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_target_ext, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_target_update, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_target_update_ext, "GOMP_4.5");
KMPX_GOMP_ENTRY(GOMP_teams, "GOMP_4.0");
KMPX_GOMP_ENTRY(GOMP_teams4, "GOMP_5.1");
#endif
