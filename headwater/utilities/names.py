"""Readable random run names such as ``brisk-heron``."""

from __future__ import annotations

import random

_ADJECTIVES = (  # noqa: SIM905 - a word list reads better as text
    "amber able agile ancient arctic azure bold brave bright brisk calm candid clever "
    "cobalt cosmic crimson crisp daring deft eager electric emerald epic fair fancy "
    "fearless fiery gentle giant golden graceful grand hardy hidden honest humble icy "
    "jade jolly keen kind lively lucky lunar merry mighty misty modest noble nimble "
    "olive onyx patient polar proud quick quiet rapid rare ruby rustic sage scarlet "
    "serene sharp shiny silent silver sleek smart snowy solar spry steady stellar "
    "sturdy sunny swift tidal tireless topaz tranquil true upbeat urban vast velvet "
    "vivid warm wild wise witty zealous zesty"
).split()

_ANIMALS = (  # noqa: SIM905
    "albatross alpaca antelope badger beaver bison bobcat buffalo camel caribou cheetah "
    "condor cougar coyote crane dingo dolphin dove eagle egret elk falcon ferret finch "
    "fox gazelle gecko gibbon goose gopher grouse hare hawk hedgehog heron hippo ibex "
    "ibis jackal jaguar kestrel kingfisher koala lemur leopard lion llama lynx magpie "
    "mallard marmot marten meerkat mink moose narwhal newt ocelot oriole osprey otter "
    "owl panda panther pelican penguin petrel puffin python quail rabbit raven salmon "
    "seal shrew skunk sparrow stork swan tapir tiger toucan trout turtle viper walrus "
    "weasel whale wolf wombat wren yak zebra"
).split()


def random_run_name(rng: random.Random | None = None) -> str:
    choose = (rng or random).choice
    return f"{choose(_ADJECTIVES)}-{choose(_ANIMALS)}"
