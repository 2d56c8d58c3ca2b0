#!/bin/sh
# Seeds the platform home (a volume) with the shipped configuration on first start, then runs the
# service's command. A file already in the home is never overwritten: edit it there, not in the image.
set -eu
home="${FINETUNE_PLATFORM_HOME:?FINETUNE_PLATFORM_HOME is not set: the platform keeps its data, models and state there}"
seed="${FINETUNE_PLATFORM_SEED:-/opt/finetune-platform}"
mkdir -p "$home/data"
for file in data/sources.yaml data/curation.yaml data/sweep.yaml data/specialists.yaml dvc.yaml params.yaml; do
    if [ ! -e "$home/$file" ]; then
        cp "$seed/$file" "$home/$file"
        echo "seeded $home/$file from $seed/$file"
    fi
done
exec "$@"
