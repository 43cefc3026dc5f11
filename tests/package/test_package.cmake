# cmake -DBINARY_DIR=build -DWORK=dir -DVERSION=x.y.z -DWITH_GUI=ON -P test_package.cmake
# Builds the .deb with cpack, unpacks it with dpkg-deb -x into WORK/root (no root rights,
# nothing touches the system) and checks its metadata, its files and that the unpacked
# binaries work from there: they must find the ToyWorld pack and the samples relative to
# their own location, with no user data folder and no BLENDIFF_MODELS.
function(run out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}${err}")
  endif()
  set(${out_var} "${out}${err}" PARENT_SCOPE)
endfunction()
function(expect text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: output does not match '${regex}':\n${text}")
  endif()
  message(STATUS "ok: ${what}")
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/home)
run(log cpack -G DEB -B ${WORK}/out --config ${BINARY_DIR}/CPackConfig.cmake)
file(GLOB debs ${WORK}/out/*.deb)
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one .deb in ${WORK}/out, found ${n}:\n${log}")
endif()
file(SIZE ${debs} bytes)
message(STATUS "package: ${debs} (${bytes} bytes)")

# Metadata: shlibdeps found the libraries the executables link.
run(info dpkg-deb --info ${debs})
expect("${info}" "Package: blendiff" "package name")
expect("${info}" "Version: ${VERSION}" "version")
expect("${info}" "Depends:[^\n]*libtorch" "depends on LibTorch")
expect("${info}" "Depends:[^\n]*libopencv-imgcodecs" "depends on OpenCV")
expect("${info}" "Depends:[^\n]*libc6" "depends on libc")
if(WITH_GUI)
  expect("${info}" "Depends:[^\n]*libqt6widgets6" "depends on Qt Widgets")
endif()

# Files.
set(root ${WORK}/root)
run(log dpkg-deb -x ${debs} ${root})
set(files usr/bin/blendiff-cli usr/bin/blendiff-train
  usr/share/blendiff/models/toyworld/pack.json usr/share/blendiff/models/toyworld/unet.safetensors
  usr/share/blendiff/models/toyworld/clip.safetensors usr/share/blendiff/models/toyworld/merges.txt
  usr/share/blendiff/models/adm256-clip-vitb16/pack.json usr/share/blendiff/models/adm256-clip-vitb16/README.md
  usr/share/blendiff/samples/demo.json usr/share/applications/org.blendiff.Blendiff.desktop
  usr/share/metainfo/org.blendiff.Blendiff.metainfo.xml usr/share/man/man1/blendiff-cli.1.gz
  usr/share/icons/hicolor/scalable/apps/org.blendiff.Blendiff.svg
  usr/share/icons/hicolor/48x48/apps/org.blendiff.Blendiff.png
  usr/share/icons/hicolor/256x256/apps/org.blendiff.Blendiff.png)
if(WITH_GUI)
  list(APPEND files usr/bin/blendiff)
endif()
file(GLOB_RECURSE all_files RELATIVE ${root} ${root}/*)
list(LENGTH all_files n_all)
message(STATUS "the package holds ${n_all} files")
foreach(f IN LISTS files)
  if(NOT EXISTS ${root}/${f})
    message(FATAL_ERROR "the package lacks /${f}")
  endif()
endforeach()
list(LENGTH files nfiles)
message(STATUS "ok: all ${nfiles} expected files present")

# The man page renders, and lists the edit command's options.
run(man sh -c "zcat '${root}/usr/share/man/man1/blendiff-cli.1.gz' | groff -man -Tascii -ww 2>&1")
expect("${man}" "blendiff-cli - text-driven local image editing.*--skip-timesteps.*models verify" "man page")
find_program(APPSTREAMCLI appstreamcli)
if(APPSTREAMCLI)
  run(log ${APPSTREAMCLI} validate --no-net ${root}/usr/share/metainfo/org.blendiff.Blendiff.metainfo.xml)
  message(STATUS "ok: AppStream metainfo validates")
endif()

# The unpacked binaries, with a fresh HOME: they must find everything from their prefix.
set(env ${CMAKE_COMMAND} -E env --unset=BLENDIFF_MODELS --unset=XDG_DATA_HOME HOME=${WORK}/home)
set(cli ${root}/usr/bin/blendiff-cli)
run(out ${env} ${cli} --version)
expect("${out}" "^blendiff-cli ${VERSION}" "blendiff-cli --version")
run(out ${env} ${cli} models list)
expect("${out}" "toyworld +[0-9.]+ MB +ready +${root}/usr/share/blendiff/models/toyworld" "models list finds the installed ToyWorld pack")
run(out ${env} ${cli} --threads 2 edit --demo --out ${WORK}/edit
  --timestep-respacing 10 --skip-timesteps 6 --batch-size 1 --iterations 1 --aug-num 2)
expect("${out}" "1 candidates ranked" "ToyWorld edit from the unpacked files")
run(report ${CMAKE_COMMAND} -E cat ${WORK}/edit/report.json)
expect("${report}" "\"pack\": \"toyworld\"" "the edit used the installed ToyWorld pack")
run(out ${env} ${root}/usr/bin/blendiff-train --help)
expect("${out}" "blendiff-train" "blendiff-train --help")
