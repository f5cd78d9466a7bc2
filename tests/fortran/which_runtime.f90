! which_runtime: which OpenMP runtime this Fortran process really runs on. It runs a parallel
! region (thread numbers 0..n-1, n = OMP_NUM_THREADS), then asks, through the C helpers of
! which_runtime_c.c (bind(C)), which shared object defines the entry point its compiler's
! parallel regions call (GOMP_parallel for gfortran, __kmpc_fork_call for flang) and the omp_lib
! routines it calls (omp_get_thread_num_ / omp_get_num_threads_ for gfortran, the C names for
! flang, whose omp_lib binds to them).
!   which_runtime                  succeeds only on arayon: arayon_omp_runtime_name() exists and
!                                  returns "arayon", and every entry point above resolves into
!                                  the object that defines it;
!   which_runtime expect-reference succeeds only on the compiler's own runtime (libgomp for
!                                  gfortran, libomp for flang): no arayon_omp_runtime_name, and
!                                  the entry points come from that library.
program which_runtime
  use, intrinsic :: iso_c_binding, only: c_int, c_char, c_null_char
  use, intrinsic :: iso_fortran_env, only: compiler_version
  use omp_lib
  implicit none

  interface
    integer(c_int) function which_object(name, path, path_len) bind(C, name='which_object')
      import :: c_int, c_char
      character(kind=c_char), intent(in) :: name(*)
      character(kind=c_char), intent(out) :: path(*)
      integer(c_int), value :: path_len
    end function which_object
    integer(c_int) function arayon_name(out, out_len) bind(C, name='arayon_name')
      import :: c_int, c_char
      character(kind=c_char), intent(out) :: out(*)
      integer(c_int), value :: out_len
    end function arayon_name
  end interface

  character(len=32) :: fork_entry, api_entries(2), reference, arg
  character(len=512) :: fork_owner, owner, arayon_owner
  character(len=64) :: name
  integer :: n, tid_sum, nfail, k
  logical :: expect_reference

  nfail = 0
  if (index(compiler_version(), 'GCC') > 0) then
    fork_entry = 'GOMP_parallel'
    api_entries = [character(len=32) :: 'omp_get_thread_num_', 'omp_get_num_threads_']
    reference = 'libgomp'
  else
    fork_entry = '__kmpc_fork_call'
    api_entries = [character(len=32) :: 'omp_get_thread_num', 'omp_get_num_threads']
    reference = 'libomp'
  end if
  expect_reference = .false.
  if (command_argument_count() >= 1) then
    call get_command_argument(1, arg)
    if (arg /= 'expect-reference') then
      print '(a,a,a)', 'which_runtime: unknown argument "', trim(arg), '"'
      stop 2
    end if
    expect_reference = .true.
  end if

  n = 0
  tid_sum = 0
  !$omp parallel shared(n, tid_sum)
  !$omp atomic
  tid_sum = tid_sum + omp_get_thread_num()
  !$omp master
  n = omp_get_num_threads()
  !$omp end master
  !$omp end parallel
  if (n < 1 .or. tid_sum /= n * (n - 1) / 2 .or. n /= omp_get_max_threads()) then
    print '(a,i0,a,i0,a,i0)', 'which_runtime: FAIL a region of ', n, &
      ' threads summed thread numbers to ', tid_sum, ', max threads ', omp_get_max_threads()
    nfail = nfail + 1
  end if

  if (which_object(trim(fork_entry) // c_null_char, fork_owner, len(fork_owner)) == 0) then
    print '(a,a,a)', 'which_runtime: FAIL ', trim(fork_entry), ' is not defined in the process'
    stop 1
  end if

  if (expect_reference) then
    if (arayon_name(name, len(name)) /= 0) then
      print '(a,a)', 'which_runtime: FAIL arayon_omp_runtime_name is present in the reference ', &
        'run'
      nfail = nfail + 1
    end if
    if (index(basename(fork_owner), trim(reference) // '.') /= 1) then
      print '(a,a,a,a,a)', 'which_runtime: FAIL ', trim(fork_entry), ' comes from ', &
        trim(fork_owner), ', not ' // trim(reference)
      nfail = nfail + 1
    end if
    do k = 1, size(api_entries)
      call expect_owner(api_entries(k), fork_owner)
    end do
    if (nfail > 0) stop 1
    print '(a,a,a,a,a,i0,a)', 'which_runtime: ', trim(reference), ' (', trim(fork_owner), &
      '), team of ', n, ': ok'
    stop
  end if

  if (arayon_name(name, len(name)) == 0) then
    print '(a,a)', 'which_runtime: FAIL arayon_omp_runtime_name not found: this process runs on ', &
      trim(fork_owner)
    stop 1
  end if
  if (name /= 'arayon') then
    print '(a,a,a)', 'which_runtime: FAIL arayon_omp_runtime_name() returned "', trim(name), '"'
    nfail = nfail + 1
  end if
  if (which_object('arayon_omp_runtime_name' // c_null_char, arayon_owner, &
      len(arayon_owner)) == 0) then
    print '(a)', 'which_runtime: FAIL no object defines arayon_omp_runtime_name'
    stop 1
  end if
  call expect_owner(fork_entry, arayon_owner)
  do k = 1, size(api_entries)
    call expect_owner(api_entries(k), arayon_owner)
  end do
  if (nfail > 0) stop 1
  print '(a,a,a,a,a,i0,a)', 'which_runtime: ', trim(name), ' (', trim(arayon_owner), '), team of ', &
    n, ': ok'

contains

  ! the symbol resolves into the object `expected`
  subroutine expect_owner(symbol, expected)
    character(len=*), intent(in) :: symbol, expected
    if (which_object(trim(symbol) // c_null_char, owner, len(owner)) == 0) then
      print '(a,a,a)', 'which_runtime: FAIL ', trim(symbol), ' is not defined in the process'
      nfail = nfail + 1
    else if (owner /= expected) then
      print '(a,a,a,a,a,a)', 'which_runtime: FAIL ', trim(symbol), ' resolves to ', trim(owner), &
        ', expected ', trim(expected)
      nfail = nfail + 1
    end if
  end subroutine expect_owner

  function basename(path) result(b)
    character(len=*), intent(in) :: path
    character(len=len(path)) :: b
    b = path(index(path, '/', back=.true.) + 1:)
  end function basename

end program which_runtime
