"""Planner benchmark: `vidmake plan` on generated recipes, against `ninja -n` on a build file of
the same shape (same steps, same edges), measured in the same run.

Cases: 30 segments x 5 images (the largest real video) and 1,250 to 10,000 segments (2 images
each), to show that planning time grows linearly. The recipe has fan-out (script), per-segment
and per-image steps, a per-segment step that gathers its segment's images, and a final gather. Reports wall time (best of several runs) and
peak memory (max RSS). Usage: planner.py VIDMAKE_BIN"""
import math, os, shutil, subprocess, sys, tempfile, time

BIN = sys.argv[1]
NINJA = shutil.which("ninja")

RECIPE = """vidmake: 1
recipe: bench
inputs:
  topic: { type: text, default: a benchmark }
  segments: { type: int, default: 6, min: 1, max: 100000 }
  images: { type: int, default: 2, min: 1, max: 5 }
  voice: { type: voice, default: en-us, per: segment }
  style: { type: text, default: plain }
dimensions:
  segment: segments
  image: images within segment
producers:
  script:
    kind: llm
    provider: local/template
    prompt: prompt.md
    inputs: [topic]
    outputs:
      title: text
      narration[segment]: text
      image_prompt[segment][image]: text
  narration:
    kind: tts
    provider: local/espeak
    for: segment
    inputs:
      text: narration[segment]
      voice: voice[segment]
    outputs:
      audio[segment]: audio
  image:
    kind: image
    provider: local/card
    for: [segment, image]
    inputs:
      prompt: image_prompt[segment][image]
      style: style
    outputs:
      image[segment][image]: image
  scene:
    kind: render
    provider: local/ffmpeg
    for: segment
    inputs:
      audio: audio[segment]
      image: image[segment]
    outputs:
      scene[segment]: video
  render:
    kind: render
    provider: local/ffmpeg
    inputs:
      title: title
      scene: scene
    outputs:
      video: video
"""

def project(dir, segments, images):
    os.makedirs(dir, exist_ok=True)
    open(f"{dir}/bench.yaml", "w").write(RECIPE)
    open(f"{dir}/prompt.md", "w").write("A video about {{topic}} in {{segment_count}} parts.\n")
    open(f"{dir}/bench.vid.yaml", "w").write(
        f"vidmake: 1\ninclude: ./bench.yaml\ninputs:\n  segments: {segments}\n  images: {images}\n"
        "segments:\n  2:\n    voice: en-gb\n")
    # The same graph for ninja: one edge per step, the same inputs and outputs.
    outs = ["title"] + [f"narration{s}" for s in range(segments)] + \
           [f"prompt{s}_{i}" for s in range(segments) for i in range(images)]
    lines = ["rule p\n  command = touch $out\n", "build " + " ".join(outs) + ": p bench.vid.yaml\n"]
    for s in range(segments):
        lines.append(f"build audio{s}: p narration{s}\n")
        for i in range(images):
            lines.append(f"build image{s}_{i}: p prompt{s}_{i}\n")
        # One scene per segment, from that segment's audio and images.
        lines.append(f"build scene{s}: p audio{s} " + " ".join(f"image{s}_{i}" for i in range(images)) + "\n")
    allins = " ".join(f"scene{s}" for s in range(segments))
    lines.append(f"build video.mp4: p title {allins}\ndefault video.mp4\n")
    open(f"{dir}/build.ninja", "w").write("".join(lines))
    return 2 * segments + segments * images + 2

def measure(cmd, cwd, runs):
    """Best wall time over `runs`, and the peak RSS (KiB) of this command's own process."""
    best, rss = float("inf"), 0
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(cmd)} failed with status {status}")
        best = min(best, dt)
        rss = max(rss, usage.ru_maxrss)
    return best, rss

def main():
    tmp = tempfile.mkdtemp(prefix="vidmake-bench-")
    print("planner benchmark (best of runs; MiB is the peak RSS of vidmake plan)")
    print(f"{'case':>22} {'steps':>7} {'vidmake plan':>13} {'ninja -n':>10} {'ratio':>7} {'MiB':>6}")
    results = []
    for segs, imgs, runs in [(30, 5, 15), (1250, 2, 5), (2500, 2, 5), (5000, 2, 3), (10000, 2, 3)]:
        d = f"{tmp}/s{segs}"
        steps = project(d, segs, imgs)
        t, rss = measure([BIN, "plan", "--state", f"{d}/.state", "bench.vid.yaml"], d, runs)
        tn = None
        if NINJA:
            tn, _ = measure([NINJA, "-n", "-f", "build.ninja"], d, runs)
        ratio = f"{t / tn:6.1f}x" if tn else "   n/a"
        print(f"{f'{segs} seg x {imgs} img':>22} {steps:>7} {t * 1000:>10.1f} ms {tn * 1000 if tn else float('nan'):>7.1f} ms {ratio} {rss / 1024:>6.0f}")
        results.append((segs, steps, t))
    # Growth: the slope of log(time) over log(steps) from 1,250 to 10,000 segments; 1.0 is linear.
    (_, s1, t1), (_, s2, t2) = results[1], results[-1]
    slope = math.log(t2 / t1) / math.log(s2 / s1)
    print(f"growth exponent 1,250 -> 10,000 segments: {slope:.2f} (1.0 = linear)")
    small, large = results[0][2], results[-1][2]
    print(f"targets: 30x5 under 50 ms: {'met' if small < 0.05 else 'MISSED'} ({small * 1000:.1f} ms); "
          f"10,000 segments under 2 s: {'met' if large < 2 else 'MISSED'} ({large:.2f} s); "
          f"linear: {'yes' if slope < 1.25 else 'NO'}")
    shutil.rmtree(tmp)

main()
