import RecipeParser

/// The timeline as an OpenTimelineIO file (`.otio`, the `otio_json` format that OpenTimelineIO 0.18
/// reads; media-notes §3.1), so the video can be opened and re-cut in an editor (DaVinci Resolve,
/// Kdenlive, …).
///
/// The file has three tracks at the video's frame rate, every time a whole number of frames:
/// - V1 (video): each scene's media, stills and video clips alike, as `Clip.2` clips over the time
///   they are on screen;
/// - A1 (audio): each scene's narration, placed by `Gap.1`s;
/// - A2 (audio): the music under the whole video, if there is music.
///
/// Where the render cross-faded two pictures (ffmpeg's `xfade`, which overlaps them and so shortens
/// the video), V1 has a `Transition.1` (`SMPTE_Dissolve`, named after the render's transition) at
/// the middle of the overlap, with half of it on each side. An OpenTimelineIO transition does not
/// shorten the track: it plays from the clips' handles, the media beyond each clip's `source_range`.
/// So the clip before the cut ends at the middle of the overlap and keeps the rest as its tail
/// handle (the transition's `out_offset`), the clip after it starts there and keeps the first half
/// as its head handle (`in_offset`, its `source_range` starting that far into the media), and each
/// media's `available_range` is all the render used. The track is then exactly as long as the
/// video. A cut (no overlap) has no transition; time with no picture is a gap.
///
/// Clips name the scene and the artifact (`scene 2: image[2][1]`) and carry them in
/// `metadata.vidmake`. Media are named as the timeline names them, relative to the folder the
/// `.otio` is in (`segments/03/narration.wav`), and written as relative URL references, which an
/// editor resolves against that folder: the file opens wherever the tree is, and two checkouts
/// write the same bytes. An absolute path is written as a `file://` URL. The music has no
/// `available_range`, since the render loops it to length. Keys are sorted, so the same timeline
/// always gives the same bytes.
public enum OTIO {
    public static func json(_ t: Timeline, name: String) -> String {
        let w = Writer(rate: max(1, t.fps))
        let total = w.frames(t.duration)
        var tracks = [w.track("V1", kind: "Video", w.pictures(t, total: total)), w.track("A1", kind: "Audio", w.narration(t))]
        if let music = t.music {
            let clip = w.clip(name: music.artifact, path: music.path, start: 0, duration: total, available: nil,
                              metadata: ["artifact": .string(music.artifact), "gain_db": .number(music.gainDB), "duck": .bool(music.duck)])
            tracks.append(w.track("A2", kind: "Audio", [clip]))
        }
        let timeline = JSON.object([
            "OTIO_SCHEMA": .string("Timeline.1"),
            "name": .string(name),
            "global_start_time": w.time(0),
            "tracks": .object(["OTIO_SCHEMA": .string("Stack.1"), "name": .string("tracks"), "children": .array(tracks)]),
        ])
        return timeline.serialized(indent: 4) + "\n"
    }

    /// A path as a URL: `file://` and the percent-encoded path when it is absolute, the
    /// percent-encoded path alone (a relative reference) when it is not. Every byte of the UTF-8
    /// path but the unreserved characters of RFC 3986 (`A–Z a–z 0–9 - . _ ~`) and `/` is written as
    /// `%XX`, so spaces, `#`, `?`, `%` and non-ASCII names survive.
    public static func url(_ path: String) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }

    /// Writes the parts of the file at one frame rate.
    struct Writer {
        var rate: Int

        func frames(_ seconds: Double) -> Int { RenderTime.units(seconds, perSecond: Double(rate)) }

        /// A picture on V1, over `start..<end` frames of the video.
        struct Shot {
            var scene: Int
            var media: Timeline.Media
            var start: Int
            var end: Int
        }

        /// V1's children: clips, the transitions where pictures overlap, and gaps where there is no
        /// picture, `total` frames in all.
        func pictures(_ t: Timeline, total: Int) -> [JSON] {
            let shots = t.scenes
                .flatMap { scene in
                    scene.media.map { Shot(scene: scene.index, media: $0, start: frames($0.start), end: frames($0.start + $0.duration)) }
                }
                .enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
            guard !shots.isEmpty else { return total > 0 ? [gap(total)] : [] }

            // Where each clip begins and ends on the track: at the middle of an overlap, or where its media does.
            var begin = shots.map(\.start), end = shots.map(\.end)
            for i in shots.indices.dropFirst() where shots[i - 1].end > shots[i].start {
                let cut = max(begin[i - 1], shots[i].start + (shots[i - 1].end - shots[i].start) / 2)
                end[i - 1] = cut
                begin[i] = cut
            }
            end[shots.count - 1] = min(end[shots.count - 1], total)

            var children: [JSON] = []
            var position = 0
            for (i, shot) in shots.enumerated() {
                if begin[i] > position { children.append(gap(begin[i] - position)) }
                if i > 0, shots[i - 1].end > shot.start {
                    children.append(transition(t.transition, in: begin[i] - shot.start, out: shots[i - 1].end - begin[i]))
                }
                let duration = max(0, end[i] - begin[i])
                children.append(clip(name: "scene \(shot.scene): \(shot.media.artifact)", path: shot.media.path,
                                     start: begin[i] - shot.start, duration: duration, available: shot.end - shot.start,
                                     metadata: ["artifact": .string(shot.media.artifact), "scene": .int(shot.scene),
                                                "kind": .string(shot.media.kind.rawValue)]))
                position = begin[i] + duration
            }
            if total > position { children.append(gap(total - position)) }
            return children
        }

        /// A1's children: each narration at its time, after a gap from the one before. Should two
        /// overlap, the later one loses its head.
        func narration(_ t: Timeline) -> [JSON] {
            let voices = t.scenes.compactMap { scene in scene.narration.map { (scene: scene.index, narration: $0) } }
                .enumerated().sorted { ($0.element.narration.start, $0.offset) < ($1.element.narration.start, $1.offset) }
                .map(\.element)
            var children: [JSON] = []
            var position = 0
            for (scene, n) in voices {
                let start = frames(n.start), end = frames(n.start + n.duration)
                let begin = max(start, position)
                guard end > begin else { continue }
                if begin > position { children.append(gap(begin - position)) }
                children.append(clip(name: "scene \(scene): \(n.artifact)", path: n.path, start: begin - start, duration: end - begin,
                                     available: end - start, metadata: ["artifact": .string(n.artifact), "scene": .int(scene)]))
                position = end
            }
            return children
        }

        func track(_ name: String, kind: String, _ children: [JSON]) -> JSON {
            .object(["OTIO_SCHEMA": .string("Track.1"), "name": .string(name), "kind": .string(kind), "children": .array(children)])
        }

        /// A clip showing `duration` frames of the media from `start`; `available` frames of media
        /// from its beginning, if known.
        func clip(name: String, path: String, start: Int, duration: Int, available: Int?, metadata: [String: JSON]) -> JSON {
            var reference: [String: JSON] = ["OTIO_SCHEMA": .string("ExternalReference.1"), "target_url": .string(OTIO.url(path))]
            if let available { reference["available_range"] = range(0, available) }
            return .object([
                "OTIO_SCHEMA": .string("Clip.2"),
                "name": .string(name),
                "source_range": range(start, duration),
                "media_references": .object(["DEFAULT_MEDIA": .object(reference)]),
                "active_media_reference_key": .string("DEFAULT_MEDIA"),
                "metadata": .object(["vidmake": .object(metadata)]),
            ])
        }

        func gap(_ duration: Int) -> JSON {
            .object(["OTIO_SCHEMA": .string("Gap.1"), "source_range": range(0, duration)])
        }

        /// A dissolve `in` frames before the cut and `out` frames after it.
        func transition(_ name: String, in before: Int, out after: Int) -> JSON {
            .object([
                "OTIO_SCHEMA": .string("Transition.1"),
                "name": .string(name),
                "transition_type": .string("SMPTE_Dissolve"),
                "in_offset": time(before),
                "out_offset": time(after),
            ])
        }

        func range(_ start: Int, _ duration: Int) -> JSON {
            .object(["OTIO_SCHEMA": .string("TimeRange.1"), "start_time": time(start), "duration": time(duration)])
        }

        func time(_ frames: Int) -> JSON {
            .object(["OTIO_SCHEMA": .string("RationalTime.1"), "rate": .int(rate), "value": .int(frames)])
        }
    }
}
