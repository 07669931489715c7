#!/usr/bin/env bash
# Regenerates appomattox.png: a stand-in for an archival photograph of
# Appomattox Court House, drawn entirely with ffmpeg filters (no network,
# no source images). Output is written beside this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/appomattox.png"
font="/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
caption="Appomattox Court House\\, April 1865"

# Scene, as a grey-level expression evaluated per pixel (X, Y).
# Each step overwrites register 0 where its shape applies, back to front.
hz=720   # horizon line
scene=""
# sky: dark at the top, light toward the horizon, soft glow behind the building, faint banding
scene+="st(0, 70 + 125*pow(Y/${hz},1.4) + 45*exp(-(pow(X-960,2)+pow(Y-640,2))/(2*380*380)) + 5*sin(Y/19 + 3*sin(X/310)));"
# ground: darkening toward the bottom of the frame
scene+="if(gte(Y,${hz}), st(0, 92 - 50*(Y-${hz})/(H-${hz})), 0);"
# path from the door toward the viewer, slightly lighter than the ground, fading out low in the frame
scene+="if(gte(Y,728)*lt(abs(X-960), 34 + (Y-728)*0.85), st(0, ld(0) + 16*(1 - clip((Y-820)/160,0,1))), 0);"
# distant treeline, hazy and light
scene+="st(1, 20 + 9*sin(X/53) + 6*sin(X/19+2) + 7*abs(sin(X/9.1+1)) + 3*abs(sin(X/3.7)));"
scene+="if(between(Y, ${hz}-ld(1), ${hz}+6), st(0, 104), 0);"
# courthouse: main block, gable roof, chimneys, cupola with spire
scene+="if(between(X,720,1200)*between(Y,500,732), st(0, 44), 0);"
scene+="if(between(Y,400,500)*lte(abs(X-960),(Y-400)*2.6), st(0, 36), 0);"
scene+="if((between(X,770,800)+between(X,1120,1150))*between(Y,432,500), st(0, 36), 0);"
scene+="if(between(X,930,990)*between(Y,340,412), st(0, 40), 0);"
scene+="if(between(Y,300,340)*lte(abs(X-960),(Y-300)*0.95), st(0, 34), 0);"
scene+="if(between(X,958,962)*between(Y,268,300), st(0, 34), 0);"
# cornice line under the eaves
scene+="if(between(X,712,1208)*between(Y,496,506), st(0, 30), 0);"
# windows: two rows, faintly lit
scene+="st(2, between(X,762,798)+between(X,842,878)+between(X,1042,1078)+between(X,1122,1158));"
scene+="if(ld(2)*(between(Y,540,598)+between(Y,630,690)), st(0, 128 - 0.35*(Y-540)), 0);"
scene+="if(between(X,942,978)*between(Y,540,598), st(0, 120), 0);"
# door and steps
scene+="if(between(X,936,984)*between(Y,636,732), st(0, 96), 0);"
scene+="if(between(X,912,1008)*between(Y,722,732), st(0, 58), 0);"
# trees either side: canopies built from overlapping clumps with a ragged edge, and trunks
scene+="st(3, 5*sin(X/6.1)*sin(Y/7.3) + 3*sin(X/2.9+Y/3.3));"
scene+="if(between(X,410,430)*between(Y,600,738) + between(X,396,444)*between(Y,726,738), st(0, 28), 0);"
scene+="if(lt(hypot(X-420,Y-470),62+ld(3)) + lt(hypot(X-360,Y-520),66+ld(3)) + lt(hypot(X-480,Y-515),64+ld(3)) + lt(hypot(X-385,Y-590),58+ld(3)) + lt(hypot(X-460,Y-595),56+ld(3)) + lt(hypot(X-420,Y-540),70+ld(3)), st(0, 30), 0);"
scene+="if(between(X,1521,1539)*between(Y,640,738) + between(X,1510,1550)*between(Y,728,738), st(0, 28), 0);"
scene+="if(lt(hypot(X-1530,Y-525),52+ld(3)) + lt(hypot(X-1482,Y-570),54+ld(3)) + lt(hypot(X-1580,Y-568),52+ld(3)) + lt(hypot(X-1505,Y-625),48+ld(3)) + lt(hypot(X-1560,Y-622),46+ld(3)) + lt(hypot(X-1530,Y-580),58+ld(3)), st(0, 32), 0);"
# fence across the foreground: two rails, posts every 80 px, an opening with gateposts where the path passes
scene+="st(4, lte(abs(X-960),821)*gt(abs(X-960),92));"
scene+="if(ld(4)*(between(Y,770,775)+between(Y,792,797)), st(0, 30), 0);"
scene+="if(ld(4)*lt(mod(abs(X-960)-93.5,80),7)*between(Y,758,812), st(0, 28), 0);"
scene+="if(between(abs(X-960),92,102)*between(Y,748,816), st(0, 26), 0);"
scene+="ld(0)"

# Caption band sits in the lower part of the frame; the rule is a thin line above it.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=black:s=1920x1080:d=1,format=gray" \
  -filter_complex "
    [0:v]geq=lum='${scene}',
         gblur=sigma=1.6,
         noise=alls=16:allf=u,
         gblur=sigma=0.6,
         vignette=angle=PI/3.6:mode=forward,
         format=rgb24,
         colorchannelmixer=rr=0.393:rg=0.769:rb=0.189:gr=0.349:gg=0.686:gb=0.168:br=0.272:bg=0.534:bb=0.131,
         drawbox=x=660:y=888:w=600:h=2:color=0xE8D9B8@0.85:t=fill,
         drawtext=fontfile=${font}:text='${caption}':fontsize=54:fontcolor=0xF1E6CC:shadowcolor=0x1A120A@0.8:shadowx=2:shadowy=2:x=(w-text_w)/2:y=916,
         split[a][b];
    [a]palettegen=max_colors=160:stats_mode=full[p];
    [b][p]paletteuse=dither=none[out]" \
  -map "[out]" -frames:v 1 -update 1 -compression_level 9 "$out"

echo "wrote $out"
