#!/usr/bin/env bash
# The render benchmark: the shared composition (../shared/bench: 6 stills of 10 s with Ken Burns
# zoom, 0.5 s fades, espeak-ng narration per segment, a ducked music bed, burned subtitles,
# 1080p30 H.264 + AAC) rendered by vidmake and by the one-pass ffmpeg reference, back to back on
# the same inputs; with MOVIEPY=1 also by the MoviePy peer (about 15 minutes on 2 cores).
# Then a one-segment edit, re-rendered incrementally, as a share of the full render.
# Usage: VIDMAKE_BIN=path/to/vidmake bench/render.sh [SHARED_BENCH_DIR]
set -euo pipefail
: "${VIDMAKE_BIN:?set VIDMAKE_BIN to the vidmake binary (make bench does)}"
here=$(cd "$(dirname "$0")" && pwd)
shared=$(cd "${1:-$here/../../shared/bench}" && pwd)
work=$(mktemp -d /tmp/vidmake-bench-render.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$shared/make_fixture.sh" "$work/fixture" >/dev/null
texts=()
while IFS= read -r line; do texts+=("$line"); done < <(sed -n 's/^"\(.*\)"$/\1/p' "$shared/make_fixture.sh")

# The same composition as a vidfile: the fixture's stills, speech and music stand in for the
# generated artifacts (overrides), so the build runs the scenes and the assembly only.
proj="$work/project"
mkdir -p "$proj"
cp "$work/fixture"/img*.png "$work/fixture"/nar*.wav "$work/fixture/music.wav" "$proj/"
cp "$here/../examples/civilwar/article.md" "$proj/"
{
  echo "vidmake: 1"
  echo "include: documentary"
  echo "inputs:"
  echo "  inquiry: The American Civil War"
  echo "  source: article.md"
  echo "  duration: 60s"
  echo "  images_per_segment: 1"
  echo "artifacts:"
  echo "  music: music.wav"
  echo "  title: The American Civil War"
  echo "  summary: Four years of war that remade the United States."
  echo "segments:"
  for i in 0 1 2 3 4 5; do
    echo "  $((i+1)):"
    echo "    narration: \"${texts[$i]}\""
    echo "    audio: nar$i.wav"
    echo "    image: [img$i.png]"
  done
  echo "render:"
  echo "  size: 1920x1080"
  echo "  fps: 30"
  echo "  transition: fade 0.5s"
  echo "  subtitles: burn"
  echo "  music: -20dB duck"
} > "$proj/bench.vid.yaml"

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
duration() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }

t0=$(date +%s.%N)
(cd "$shared" && ./ffmpeg_render.sh "$work/fixture" "$work/reference.mp4")
t1=$(date +%s.%N)
"$VIDMAKE_BIN" build -j 2 "$proj/bench.vid.yaml" >/dev/null 2>"$work/build.log" || { cat "$work/build.log"; exit 1; }
t2=$(date +%s.%N)
ref=$(seconds "$t0" "$t1"); full=$(seconds "$t1" "$t2")

# One segment's subtitle text changes: its scene and the assembly render again.
sed -i 's/the South fought on home ground/the South fought on its own ground/' "$proj/bench.vid.yaml"
t3=$(date +%s.%N)
"$VIDMAKE_BIN" build -j 2 "$proj/bench.vid.yaml" >/dev/null 2>>"$work/build.log" || { cat "$work/build.log"; exit 1; }
t4=$(date +%s.%N)
edit=$(seconds "$t3" "$t4")

out="$proj/out/bench/bench.mp4"
printf 'render: reference (one-pass ffmpeg) %6.1f s for %.1f s of video\n' "$ref" "$(duration "$work/reference.mp4")"
printf 'render: vidmake build             %6.1f s for %.1f s of video   %.2fx the reference (target <= 1.0x)\n' \
  "$full" "$(duration "$out")" "$(python3 -c "print($full/$ref)")"
printf 'render: one-segment edit          %6.1f s                         %.0f%% of the full render (target <= 40%%)\n' \
  "$edit" "$(python3 -c "print(100*$edit/$full)")"
if [ "${MOVIEPY:-0}" = 1 ]; then
  python3 -c "import moviepy" 2>/dev/null || pip install -q moviepy==2.1.2 >/dev/null 2>&1 || pip install -q --break-system-packages moviepy==2.1.2 >/dev/null
  t5=$(date +%s.%N)
  (cd "$shared" && python3 moviepy_render.py "$work/fixture" "$work/moviepy.mp4")
  t6=$(date +%s.%N)
  mp=$(seconds "$t5" "$t6")
  printf 'render: MoviePy peer              %6.1f s                         vidmake is %.1fx faster (target >= 10x)\n' "$mp" "$(python3 -c "print($mp/$full)")"
else
  echo "render: MoviePy peer skipped (MOVIEPY=1 make bench runs it: about 15 minutes)"
fi
