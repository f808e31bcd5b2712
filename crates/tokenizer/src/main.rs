//! `tokenizer`: train a byte-level BPE tokenizer, encode text to ids, decode ids to text.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tokenizer::{AllowedSpecial, Error, Kind, Tokenizer, Trainer, files};

/// Byte-level BPE as in Karpathy's minbpe: the same merges, minbpe's .model files, tiktoken's ranks.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Learn merges from a text; write tokenizer.model, .vocab and .tiktoken into --out.
    Train(TrainArgs),
    /// Print the ids of a text (FILE, or standard input), space-separated.
    Encode(EncodeArgs),
    /// Write the bytes that ids (FILE, or standard input; separated by whitespace) stand for.
    Decode(DecodeArgs),
    /// Time training and encoding on a text (Shakespeare) and print a Markdown table.
    Bench(BenchArgs),
}

#[derive(Args)]
struct TrainArgs {
    /// basic: BPE over the raw bytes; regex: split with GPT-4's pattern first.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// Tokens in the vocabulary: the 256 bytes plus one per merge.
    #[arg(long)]
    vocab_size: usize,
    /// The training text (any bytes for basic; UTF-8 for regex).
    #[arg(long)]
    input: PathBuf,
    /// The directory to write the tokenizer into.
    #[arg(long)]
    out: PathBuf,
    /// Train on the first N characters of the input only.
    #[arg(long, value_name = "N")]
    max_chars: Option<usize>,
    /// A special token to register (repeatable); they get the ids vocab-size, vocab-size + 1, ...
    #[arg(long = "special", value_name = "TOKEN")]
    special: Vec<String>,
    /// Train with minbpe's algorithm (recount everything per merge): the same merges, slowly.
    #[arg(long)]
    plain: bool,
}

#[derive(Args)]
struct EncodeArgs {
    /// A directory holding tokenizer.model, or a minbpe .model file.
    #[arg(long)]
    model: PathBuf,
    /// The text to encode (default: standard input).
    file: Option<PathBuf>,
    /// What to do with special tokens in the text: turn them into their ids (all), treat them as
    /// ordinary text (none), or refuse (none-raise).
    #[arg(long, value_enum, default_value_t = AllowedArg::NoneRaise)]
    allowed_special: AllowedArg,
}

#[derive(Args)]
struct DecodeArgs {
    /// A directory holding tokenizer.model, or a minbpe .model file.
    #[arg(long)]
    model: PathBuf,
    /// The ids to decode (default: standard input).
    file: Option<PathBuf>,
}

#[derive(Args)]
struct BenchArgs {
    /// The text to train and encode on (the repo's data/shakespeare.txt).
    #[arg(long)]
    text: PathBuf,
    /// Each timing once, with a smaller vocabulary for the whole file: checks that the bench runs.
    #[arg(long)]
    quick: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Basic,
    Regex,
}

#[derive(Clone, Copy, ValueEnum)]
enum AllowedArg {
    All,
    None,
    NoneRaise,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `tokenizer encode big.txt | head` closing the pipe early is not an error.
            if e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            let msg = format!("{e:#}");
            eprintln!("error: {}", msg.lines().collect::<Vec<_>>().join(" "));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train(args),
        Command::Encode(args) => encode(args),
        Command::Decode(args) => decode(args),
        Command::Bench(args) => {
            let text = read_text(Some(&args.text))?;
            print!("{}", tokenizer::bench::run(&text, args.quick)?);
            Ok(())
        }
    }
}

fn train(args: TrainArgs) -> Result<()> {
    let kind = match args.kind {
        KindArg::Basic => Kind::Basic,
        KindArg::Regex => Kind::Regex,
    };
    let trainer = if args.plain { Trainer::Plain } else { Trainer::Fast };
    let bytes = read(Some(&args.input))?;
    let mut tok = match (kind, std::str::from_utf8(&bytes), args.max_chars) {
        (_, Ok(text), n) => {
            let text = n.map_or(text, |n| tokenizer::bench::first_chars(text, n));
            Tokenizer::train(kind, text, args.vocab_size, trainer)
        }
        (Kind::Basic, Err(_), None) => Tokenizer::train_bytes(&bytes, args.vocab_size, trainer),
        (_, Err(_), _) => Err(Error::NotUtf8),
    }
    .with_context(|| format!("{}", args.input.display()))?;
    let special: Vec<(String, u32)> = args.special.into_iter().zip(args.vocab_size as u32..).collect();
    tok.register_special_tokens(special)?;
    let saved = files::save(&args.out, &tok)?;
    for path in &saved.written {
        eprintln!("wrote {}", path.display());
    }
    if let Some(why) = saved.no_tiktoken {
        eprintln!("note: no {}: {why}", files::TIKTOKEN_FILE);
    }
    Ok(())
}

fn encode(args: EncodeArgs) -> Result<()> {
    let tok = files::load(&args.model)?;
    let bytes = read(args.file.as_deref())?;
    let allowed = match args.allowed_special {
        AllowedArg::All => AllowedSpecial::All,
        AllowedArg::None => AllowedSpecial::None,
        AllowedArg::NoneRaise => AllowedSpecial::NoneRaise,
    };
    let ids = match std::str::from_utf8(&bytes) {
        Ok(text) => tok.encode(text, &allowed)?,
        // Raw bytes are fine for the basic kind, as long as no special token could hide in them.
        Err(_) if tok.kind() == Kind::Basic && tok.special_tokens().is_empty() => tok.encode_bytes(&bytes)?,
        Err(_) => return Err(Error::NotUtf8).context(input_name(args.file.as_deref())),
    };
    let mut line = ids.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
    line.push('\n');
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(line.as_bytes())?;
    stdout.flush()?; // now, so that a full disk is an error rather than lost at exit
    Ok(())
}

fn decode(args: DecodeArgs) -> Result<()> {
    let tok = files::load(&args.model)?;
    let text = read_text(args.file.as_deref())?;
    let ids = text
        .split_whitespace()
        .map(|s| s.parse::<u32>().map_err(|_| anyhow::anyhow!("{s:?} is not a token id")))
        .collect::<Result<Vec<_>>>()
        .with_context(|| input_name(args.file.as_deref()))?;
    let bytes = tok.decode(&ids)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?; // now, so that a full disk is an error rather than lost at exit
    Ok(())
}

fn input_name(file: Option<&Path>) -> String {
    file.map_or_else(|| "standard input".into(), |f| f.display().to_string())
}

/// The most bytes of input read: the stages' cap on a data file.
const MAX_INPUT_BYTES: u64 = 1 << 30;

/// The bytes of `file`, or of standard input: at most [`MAX_INPUT_BYTES`], read one byte past that at
/// most (a file's length is no bound for `/dev/zero` or a pipe).
fn read(file: Option<&Path>) -> Result<Vec<u8>> {
    let read_at_most = |reader: &mut dyn Read| -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(std::io::Error::other("larger than 1 GiB, the most the tokenizer reads"));
        }
        Ok(bytes)
    };
    match file {
        Some(f) => std::fs::File::open(f)
            .and_then(|mut f| read_at_most(&mut f))
            .with_context(|| format!("cannot read {}", f.display())),
        None => read_at_most(&mut std::io::stdin().lock()).context("cannot read standard input"),
    }
}

fn read_text(file: Option<&Path>) -> Result<String> {
    let bytes = read(file)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => bail!("{} is not UTF-8 text", input_name(file)),
    }
}
