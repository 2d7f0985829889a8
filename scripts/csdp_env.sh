# Sourced by the bench scripts: make CSDP available and linked against an optimized BLAS.
#
# Debian's coinor-csdp links libblas.so.3/liblapack.so.3, which resolve to the netlib reference
# implementation unless an optimized BLAS is installed. CSDP spends its time in BLAS (dgemm, dpotrf), and
# with the reference BLAS it is several times slower on the order-3 relaxations of the paper's tables
# (on 2 cores, (2,3) N = 50: 36.3 s instead of 13.5 s). The comparison is only fair against CSDP
# with OpenBLAS (libopenblas0-pthread, which takes over libblas.so.3 through Debian's alternatives), so it is
# installed with CSDP. Neither is needed by the tests.
#
# Defines csdp_blas (the library libblas.so.3 resolves to) and prints it to stderr. With CSDP_INSTALL=0 it
# installs nothing and only reports (and warns about) the BLAS that the CSDP already on PATH uses.
if [[ "${CSDP_INSTALL:-1}" != 0 ]] && { ! command -v csdp >/dev/null 2>&1 ||
    ! ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 >/dev/null 2>&1; }; then
    echo "installing coinor-csdp and libopenblas0-pthread ..." >&2
    (apt-get update -qq && apt-get install -y -qq coinor-csdp libopenblas0-pthread) >/dev/null
fi
csdp_blas="$(readlink -f "$(ldconfig -p | sed -n 's/.*libblas\.so\.3 (libc6,x86-64) => //p' | head -n 1)")"
echo "CSDP: $(command -v csdp), BLAS: ${csdp_blas:-unknown}" >&2
case "$csdp_blas" in
    *openblas*|*mkl*|*blis*|*atlas*) ;;
    *) echo "warning: CSDP runs on the reference BLAS ($csdp_blas); its times are not representative" >&2 ;;
esac
