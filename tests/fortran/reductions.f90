! reductions: the reduction clause with every operator and intrinsic procedure Fortran allows
! (+, *, -, .and., .or., .eqv., .neqv., max, min, iand, ior, ieor) on INTEGER (kinds 4 and 8),
! REAL, DOUBLE PRECISION, COMPLEX (kinds 4 and 8) and LOGICAL scalars, on explicit-shape and
! allocatable arrays, on parallel, do (static, dynamic, guided), parallel do, sections and a loop
! in a region whose variable is reduced twice. The values are chosen so that every result is
! exact in floating point whatever the order of combination; the results must equal the serial
! ones, original values included. A wrong answer is printed and the program ends with stop 1.
program reductions
  use omp_lib
  implicit none
  integer, parameter :: n = 1000
  integer :: nfail, nthreads

  nfail = 0
  nthreads = omp_get_max_threads()

  call scalar_reductions()
  call array_reductions()
  call other_constructs()

  if (nfail > 0) then
    print '(a,i0,a)', 'reductions: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'reductions: ok (', nthreads, ' threads)'

contains

  subroutine fail(what)
    character(len=*), intent(in) :: what
    nfail = nfail + 1
    if (nfail <= 30) print '(a,a)', 'reductions: FAIL ', what
  end subroutine fail

  subroutine expect_i(what, got, expected)
    character(len=*), intent(in) :: what
    integer(8), intent(in) :: got, expected
    character(len=80) :: msg
    if (got /= expected) then
      write (msg, '(a,i0,a,i0)') ': got ', got, ', expected ', expected
      call fail(what // trim(msg))
    end if
  end subroutine expect_i

  subroutine expect_r(what, got, expected)
    character(len=*), intent(in) :: what
    real(8), intent(in) :: got, expected
    character(len=80) :: msg
    if (got /= expected) then
      write (msg, '(a,g0,a,g0)') ': got ', got, ', expected ', expected
      call fail(what // trim(msg))
    end if
  end subroutine expect_r

  subroutine expect_z(what, got, expected)
    character(len=*), intent(in) :: what
    complex(8), intent(in) :: got, expected
    character(len=120) :: msg
    if (got /= expected) then
      write (msg, '(a,"(",g0,",",g0,")",a,"(",g0,",",g0,")")') ': got ', got, ', expected ', &
        expected
      call fail(what // trim(msg))
    end if
  end subroutine expect_z

  subroutine expect_l(what, got, expected)
    character(len=*), intent(in) :: what
    logical, intent(in) :: got, expected
    character(len=40) :: msg
    if (got .neqv. expected) then
      write (msg, '(a,l1,a,l1)') ': got ', got, ', expected ', expected
      call fail(what // trim(msg))
    end if
  end subroutine expect_l

  subroutine scalar_reductions()
    integer :: i, isum, iprod, idiff, imax, imin, iandv, iorv, ieorv, ieor_serial
    integer(8) :: ksum, kmax
    real :: rsum, rprod, rdiff, rmax, rmin
    real(8) :: dsum, dprod, ddiff, dmax, dmin
    complex :: csum, cprod, cdiff
    complex(8) :: zsum, zprod
    logical :: land, land_true, lor, lor_false, leqv, lneqv, leqv_serial, lneqv_serial

    isum = 5
    iprod = 3
    idiff = 0
    imax = -1
    imin = 5000
    iandv = -1
    iorv = 0
    ieorv = 0
    ksum = 2_8**40
    kmax = -2_8**40
    rsum = 0
    rprod = 1
    rdiff = 0
    rmax = -1
    rmin = 1e6
    dsum = 1d0
    dprod = 3d0
    ddiff = 0
    dmax = -1
    dmin = 1d6
    csum = 0
    cprod = (2.0, 0.0)
    cdiff = 0
    zsum = (1d0, 1d0)
    zprod = 1
    land = .true.
    land_true = .true.
    lor = .false.
    lor_false = .false.
    leqv = .true.
    lneqv = .false.

    !$omp parallel do schedule(dynamic, 7) &
    !$omp& reduction(+:isum, ksum, rsum, dsum, csum, zsum) &
    !$omp& reduction(*:iprod, rprod, dprod, cprod, zprod) &
    !$omp& reduction(-:idiff, rdiff, ddiff, cdiff) reduction(max:imax, kmax, rmax, dmax) &
    !$omp& reduction(min:imin, rmin, dmin) reduction(iand:iandv) reduction(ior:iorv) &
    !$omp& reduction(ieor:ieorv) reduction(.and.:land, land_true) reduction(.or.:lor, lor_false) &
    !$omp& reduction(.eqv.:leqv) reduction(.neqv.:lneqv)
    do i = 1, n
      isum = isum + i
      ksum = ksum + int(i, 8) * 2_8**32
      iprod = iprod * merge(2, 1, mod(i, 100) == 0)
      idiff = idiff - i
      imax = max(imax, mod(i * 37, 1001))  ! a permutation of 1..1000
      kmax = max(kmax, int(mod(i * 37, 1001), 8) - 2_8**35)
      imin = min(imin, mod(i * 37, 1001))
      iandv = iand(iandv, not(ishft(1, mod(i, 20))))
      iorv = ior(iorv, ishft(1, mod(i, 30)))
      ieorv = ieor(ieorv, i * 7)
      rsum = rsum + 0.5 * i
      rprod = rprod * merge(2.0, 1.0, mod(i, 100) == 0) * merge(0.5, 1.0, mod(i, 250) == 0)
      rdiff = rdiff - 0.25 * i
      rmax = max(rmax, 0.5 * mod(i * 37, 1001))
      rmin = min(rmin, 0.5 * mod(i * 37, 1001))
      dsum = dsum + 0.125d0 * i
      dprod = dprod * merge(0.5d0, 1d0, mod(i, 125) == 0)
      ddiff = ddiff - 2d0 * i
      dmax = max(dmax, 0.25d0 * mod(i * 37, 1001))
      dmin = min(dmin, 0.25d0 * mod(i * 37, 1001))
      csum = csum + cmplx(i, -2 * i)
      cprod = cprod * merge((0.0, 1.0), (1.0, 0.0), mod(i, 50) == 0) ! i**20 = 1
      cdiff = cdiff - cmplx(1, i)
      zsum = zsum + cmplx(0.5d0 * i, 1d0, kind=8)
      zprod = zprod * merge((0d0, 1d0), (1d0, 0d0), mod(i, 200) == 0) ! i**5 = i
      land = land .and. (i /= 500)
      land_true = land_true .and. (i > 0)
      lor = lor .or. (i == n)
      lor_false = lor_false .or. (i > n)
      leqv = leqv .eqv. (mod(i, 3) == 0)
      lneqv = lneqv .neqv. (mod(i, 7) == 0)
    end do
    !$omp end parallel do

    ieor_serial = 0
    leqv_serial = .true.
    lneqv_serial = .false.
    do i = 1, n
      ieor_serial = ieor(ieor_serial, i * 7)
      leqv_serial = leqv_serial .eqv. (mod(i, 3) == 0)
      lneqv_serial = lneqv_serial .neqv. (mod(i, 7) == 0)
    end do

    call expect_i('integer +', int(isum, 8), 5_8 + n * (n + 1) / 2)
    call expect_i('integer(8) +', ksum, 2_8**40 + int(n * (n + 1) / 2, 8) * 2_8**32)
    call expect_i('integer *', int(iprod, 8), 3_8 * 1024)
    call expect_i('integer -', int(idiff, 8), -int(n * (n + 1) / 2, 8))
    call expect_i('integer max', int(imax, 8), 1000_8)
    call expect_i('integer(8) max', kmax, 1000_8 - 2_8**35)
    call expect_i('integer min', int(imin, 8), 1_8)
    call expect_i('iand', int(iandv, 8), int(not(2**20 - 1), 8))
    call expect_i('ior', int(iorv, 8), int(2**30 - 1, 8))
    call expect_i('ieor', int(ieorv, 8), int(ieor_serial, 8))
    call expect_r('real +', dble(rsum), 250250d0)
    call expect_r('real *', dble(rprod), 64d0)
    call expect_r('real -', dble(rdiff), -125125d0)
    call expect_r('real max', dble(rmax), 500d0)
    call expect_r('real min', dble(rmin), 0.5d0)
    call expect_r('double +', dsum, 1d0 + 0.125d0 * 500500)
    call expect_r('double *', dprod, 3d0 / 256)
    call expect_r('double -', ddiff, -1001000d0)
    call expect_r('double max', dmax, 250d0)
    call expect_r('double min', dmin, 0.25d0)
    call expect_z('complex +', cmplx(csum, kind=8), (500500d0, -1001000d0))
    call expect_z('complex *', cmplx(cprod, kind=8), (2d0, 0d0))
    call expect_z('complex -', cmplx(cdiff, kind=8), (-1000d0, -500500d0))
    call expect_z('complex(8) +', zsum, (250251d0, 1001d0))
    call expect_z('complex(8) *', zprod, (0d0, 1d0))
    call expect_l('.and.', land, .false.)
    call expect_l('.and. (all true)', land_true, .true.)
    call expect_l('.or.', lor, .true.)
    call expect_l('.or. (all false)', lor_false, .false.)
    call expect_l('.eqv.', leqv, leqv_serial)
    call expect_l('.neqv.', lneqv, lneqv_serial)
  end subroutine scalar_reductions

  subroutine array_reductions()
    integer :: i, k, r, c, isum(5), ior_a(3), imax_a(4), isum_ref(5)
    real(8) :: dmin_a(3), dsum_a(2, 2)
    complex :: cprod_a(2)
    logical :: land_a(4), lneqv_a(2), lneqv_ref(2)
    integer, allocatable :: alloc_sum(:)
    allocate (alloc_sum(0:6))

    isum = [(k, k = 1, 5)]
    ior_a = 0
    imax_a = -huge(1)
    dmin_a = huge(1d0)
    dsum_a = 0
    cprod_a = (1.0, 0.0)
    land_a = .true.
    lneqv_a = .false.
    alloc_sum = 100

    !$omp parallel do schedule(guided, 2) private(r, c) reduction(+:isum, dsum_a, alloc_sum) &
    !$omp& reduction(ior:ior_a) reduction(max:imax_a) reduction(min:dmin_a) &
    !$omp& reduction(*:cprod_a) reduction(.and.:land_a) reduction(.neqv.:lneqv_a)
    do i = 1, n
      isum(mod(i, 5) + 1) = isum(mod(i, 5) + 1) + i
      r = ibits(i, 0, 1) + 1 ! bit 0 of i
      c = ibits(i, 1, 1) + 1 ! bit 1
      dsum_a(r, c) = dsum_a(r, c) + 0.5d0
      alloc_sum(mod(i, 7)) = alloc_sum(mod(i, 7)) + 1
      ior_a(mod(i, 3) + 1) = ior(ior_a(mod(i, 3) + 1), ishft(1, mod(i, 16)))
      imax_a = max(imax_a, [i, -i, mod(i, 10), i / 2])
      dmin_a = min(dmin_a, [dble(i), -dble(i) * 0.5d0, dble(mod(i, 9))])
      if (mod(i, 100) == 0) cprod_a = cprod_a * [(0.0, 1.0), (2.0, 0.0)] ! i**10 = -1, 2**10
      land_a = land_a .and. [.true., i /= 3, mod(i, 2) == 0, i <= n]
      lneqv_a = lneqv_a .neqv. [mod(i, 2) == 0, mod(i, 5) == 0]
    end do
    !$omp end parallel do

    isum_ref = [(k, k = 1, 5)]
    lneqv_ref = .false.
    do i = 1, n
      isum_ref(mod(i, 5) + 1) = isum_ref(mod(i, 5) + 1) + i
      lneqv_ref = lneqv_ref .neqv. [mod(i, 2) == 0, mod(i, 5) == 0]
    end do
    do k = 1, 5
      call expect_i('integer array +, element', int(isum(k), 8), int(isum_ref(k), 8))
    end do
    call expect_r('double(2,2) array +, sum of elements', sum(dsum_a), 500d0)
    call expect_r('double(2,2) array +, element (1,1)', dsum_a(1, 1), 125d0)
    call expect_i('allocatable array +, element 0', int(alloc_sum(0), 8), 100_8 + 142)
    call expect_i('allocatable array +, element 6', int(alloc_sum(6), 8), 100_8 + 143)
    call expect_i('allocatable array +, total', int(sum(alloc_sum), 8), 700_8 + n)
    ! the residues mod 16 met by i = 1..1000 in each class mod 3 cover all 16 bits
    call expect_i('integer array ior, element 1', int(ior_a(1), 8), 65535_8)
    call expect_i('integer array ior, element 3', int(ior_a(3), 8), 65535_8)
    call expect_i('integer array max', int(sum(imax_a), 8), int(n + (-1) + 9 + n / 2, 8))
    call expect_r('double array min, element 1', dmin_a(1), 1d0)
    call expect_r('double array min, element 2', dmin_a(2), -500d0)
    call expect_r('double array min, element 3', dmin_a(3), 0d0)
    call expect_z('complex array *, element 1', cmplx(cprod_a(1), kind=8), (-1d0, 0d0))
    call expect_z('complex array *, element 2', cmplx(cprod_a(2), kind=8), (1024d0, 0d0))
    call expect_l('logical array .and., element 1', land_a(1), .true.)
    call expect_l('logical array .and., element 2', land_a(2), .false.)
    call expect_l('logical array .and., element 3', land_a(3), .false.)
    call expect_l('logical array .and., element 4', land_a(4), .true.)
    call expect_l('logical array .neqv., element 1', lneqv_a(1), lneqv_ref(1))
    call expect_l('logical array .neqv., element 2', lneqv_a(2), lneqv_ref(2))
  end subroutine array_reductions

  subroutine other_constructs()
    integer :: members, i, tsum, two_loops, secp, tmax
    logical :: any_odd
    ! on parallel: every thread contributes once
    members = 0
    tsum = 0
    tmax = -1
    any_odd = .false.
    !$omp parallel reduction(+:members, tsum) reduction(max:tmax) reduction(.or.:any_odd)
    members = members + 1
    tsum = tsum + omp_get_thread_num()
    tmax = max(tmax, omp_get_thread_num())
    any_odd = any_odd .or. mod(omp_get_thread_num(), 2) == 1
    !$omp end parallel
    call expect_i('parallel reduction(+): members', int(members, 8), int(nthreads, 8))
    call expect_i('parallel reduction(+): thread numbers', int(tsum, 8), &
      int(nthreads * (nthreads - 1) / 2, 8))
    call expect_i('parallel reduction(max): thread numbers', int(tmax, 8), int(nthreads - 1, 8))
    call expect_l('parallel reduction(.or.): an odd thread number', any_odd, nthreads > 1)

    ! the same shared variable reduced by two loops of one region, static then dynamic
    two_loops = 0
    !$omp parallel shared(two_loops)
    !$omp do reduction(+:two_loops) schedule(static)
    do i = 1, n
      two_loops = two_loops + 1
    end do
    !$omp end do
    !$omp do reduction(+:two_loops) schedule(dynamic, 13)
    do i = 1, n
      two_loops = two_loops + 2
    end do
    !$omp end do
    !$omp end parallel
    call expect_i('two reduced loops in one region', int(two_loops, 8), int(3 * n, 8))

    ! sections
    secp = 1
    !$omp parallel sections reduction(*:secp)
    !$omp section
    secp = secp * 2
    !$omp section
    secp = secp * 3
    !$omp section
    secp = secp * 5
    !$omp end parallel sections
    call expect_i('sections reduction(*)', int(secp, 8), 30_8)
  end subroutine other_constructs

end program reductions
